//! The root's limits, made and checked, and a tampered root in every form refused. The
//! directory's files, modes and links are tested through the binary, in `tests/tls.rs`.

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, GeneralSubtree,
    IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, PKCS_ECDSA_P256_SHA256,
};

use super::check::{PermitRule, RootProblem, check_root, single_certificate};
use super::root::Root;
use super::{LeafRefusal, check_fetched};

fn der_of(pem: &str) -> Vec<u8> {
    single_certificate(pem).expect("one certificate").to_vec()
}

#[test]
fn a_root_vouches_for_janrain_names_and_loopback_only() {
    let (root, _) = Root::make(&["example.test".into()]).expect("root");
    for name in [
        "myrealm.janraincapture.com",
        "v1.api.us.janrain.com",
        "localhost",
        "a.b.example.test",
    ] {
        assert!(root.leaf(name).is_ok(), "{name}");
    }
    for name in ["example.com", "evil-janrain.com", "janrain.com.evil.test"] {
        assert!(
            matches!(root.leaf(name), Err(LeafRefusal::Outside(_))),
            "{name}"
        );
    }
    assert!(matches!(root.leaf("a b"), Err(LeafRefusal::NotAName(_))));
    assert_eq!(root.limits.permits, vec!["example.test".to_owned()]);
}

#[test]
fn a_made_root_passes_its_own_check_and_no_wider_one() {
    let (root, _) = Root::make(&["example.test".into()]).expect("root");
    let der = der_of(&root.cert_pem);
    let now = SystemTime::now();
    assert!(check_root(&der, None, PermitRule::AnyValid, now).is_ok());
    assert_eq!(
        check_root(&der, None, PermitRule::Only(&[]), now),
        Err(RootProblem::PermitNotGiven("example.test".into()))
    );
    let later = now + Duration::from_secs(11 * 365 * 24 * 3600);
    assert!(matches!(
        check_root(&der, None, PermitRule::AnyValid, later),
        Err(RootProblem::NotValidNow { .. })
    ));
}

/// A root signed by `signer` for `key`'s public key, with the given limits.
fn forged(
    key: &KeyPair,
    signer: &KeyPair,
    pathlen: Option<u8>,
    constraints: Option<NameConstraints>,
) -> String {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "janrain-emulator local CA forged");
    params.is_ca = IsCa::Ca(match pathlen {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.name_constraints = constraints;
    if std::ptr::eq(key, signer) {
        params.self_signed(key).expect("signed").pem()
    } else {
        let issuer = Issuer::new(params.clone(), signer);
        params.signed_by(key, &issuer).expect("signed").pem()
    }
}

fn janrain_only(extra: &[&str]) -> NameConstraints {
    let mut permitted: Vec<GeneralSubtree> = ["janraincapture.com", "janrain.com", "localhost"]
        .iter()
        .chain(extra)
        .map(|d| GeneralSubtree::DnsName((*d).to_owned()))
        .collect();
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V4(
        [127, 0, 0, 0],
        [255, 0, 0, 0],
    )));
    permitted.push(GeneralSubtree::IpAddress(CidrSubnet::V6(
        std::net::Ipv6Addr::LOCALHOST.octets(),
        [0xff; 16],
    )));
    NameConstraints {
        permitted_subtrees: permitted,
        excluded_subtrees: Vec::new(),
    }
}

#[test]
fn a_root_wider_than_the_emulators_is_refused_in_every_form() {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let other = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let now = SystemTime::now();
    let check = |pem: &str, key: Option<&[u8]>| {
        check_root(&der_of(pem), key, PermitRule::AnyValid, now).expect_err(pem)
    };
    let raw = Some(key.public_key_raw());
    // No constraints at all, made with the real key.
    assert_eq!(
        check(&forged(&key, &key, Some(0), None), raw),
        RootProblem::Unconstrained
    );
    // The real public key, signed by another key.
    assert_eq!(
        check(&forged(&key, &other, Some(0), Some(janrain_only(&[]))), raw),
        RootProblem::NotSelfSigned
    );
    // Another key's root beside this key.
    assert_eq!(
        check(
            &forged(&other, &other, Some(0), Some(janrain_only(&[]))),
            raw
        ),
        RootProblem::WrongKey
    );
    // Free to make intermediate CAs.
    assert_eq!(
        check(&forged(&key, &key, None, Some(janrain_only(&[]))), raw),
        RootProblem::NotLeafOnlyCa
    );
    // A public suffix, or a name that matches everything.
    for wide in ["co.uk", "com", ""] {
        let refused = check(
            &forged(&key, &key, Some(0), Some(janrain_only(&[wide]))),
            raw,
        );
        assert!(
            matches!(refused, RootProblem::Wider(_)),
            "{wide}: {refused}"
        );
    }
    // Every address.
    let mut everywhere = janrain_only(&[]);
    everywhere
        .permitted_subtrees
        .push(GeneralSubtree::IpAddress(CidrSubnet::V4([0; 4], [0; 4])));
    assert!(matches!(
        check(&forged(&key, &key, Some(0), Some(everywhere)), raw),
        RootProblem::Wider(_)
    ));
    // E-mail addresses permitted.
    let mut mail = janrain_only(&[]);
    mail.permitted_subtrees
        .push(GeneralSubtree::Rfc822Name("example.com".into()));
    assert!(matches!(
        check(&forged(&key, &key, Some(0), Some(mail)), raw),
        RootProblem::Wider(_)
    ));
    // A root as an earlier version made it: the right names, but no key-usage or e-mail limits.
    let earlier = check(&forged(&key, &key, Some(0), Some(janrain_only(&[]))), raw);
    assert!(
        matches!(earlier, RootProblem::EarlierVersion(_)),
        "{earlier}"
    );
    assert!(earlier.to_string().contains("serverAuth"), "{earlier}");
}

#[test]
fn a_pem_with_more_than_the_root_is_refused() {
    let (root, _) = Root::make(&[]).expect("root");
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("key");
    let extra = forged(&key, &key, None, None);
    for text in [
        format!("{}{extra}", root.cert_pem),
        format!("{extra}{}", root.cert_pem),
        format!("junk\n{}", root.cert_pem),
        format!("{}-----BEGIN PRIVATE KEY-----\n", root.cert_pem),
    ] {
        assert!(check_fetched(&text, &[]).is_err(), "{text}");
    }
    assert_eq!(
        check_fetched(&root.cert_pem, &[]).expect("ours"),
        root.cert_pem
    );
}
