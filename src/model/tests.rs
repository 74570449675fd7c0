use super::*;

#[test]
fn cidr_accepts_ipv4_blocks_and_keeps_their_text() {
    let block = Cidr::parse("10.1.2.3/8").expect("valid block");
    assert_eq!(block.as_str(), "10.1.2.3/8");
    assert!(block.contains("10.200.0.1".parse().expect("ip")));
    assert!(!block.contains("11.0.0.1".parse().expect("ip")));
}

#[test]
fn cidr_reasons_follow_the_documented_text() {
    assert_eq!(
        Cidr::parse("10.0.0.0/33").unwrap_err().to_string(),
        "invalid cidr address: 10.0.0.0/33; value after slash must be 32 or less"
    );
    for bad in [
        "10.0.0.1",
        "10.0.0/8",
        "::1/128",
        "a.b.c.d/8",
        "1.2.3.4/",
        "1.2.3.4/+8",
    ] {
        assert_eq!(
            Cidr::parse(bad),
            Err(CidrError::Malformed(bad.to_owned())),
            "{bad}"
        );
    }
}

#[test]
fn allow_all_admits_ipv6_too() {
    assert!(Whitelist::allow_all().allows("::1".parse().expect("ip")));
    let only_ten = Whitelist::new(vec![Cidr::parse("10.0.0.0/8").expect("block")]);
    assert!(!only_ten.allows("::1".parse().expect("ip")));
    assert!(only_ten.allows("::ffff:10.0.0.1".parse().expect("ip")));
}

#[test]
fn feature_rules() {
    assert_eq!(
        Features::assignable([Feature::LoginClient, Feature::Owner]),
        Err(FeatureError::LoginClientCombined)
    );
    assert_eq!(
        Features::assignable([Feature::Metadata]),
        Err(FeatureError::Metadata)
    );
    let twice = Features::assignable([Feature::Owner, Feature::Owner]).expect("valid");
    assert_eq!(twice.iter().collect::<Vec<_>>(), vec![Feature::Owner]);
    assert_eq!(
        "superuser_owner".parse::<Feature>(),
        Err(FeatureError::Unknown("superuser_owner".to_owned()))
    );
}

#[test]
fn names_need_a_visible_character_and_a_bounded_length() {
    for missing in [
        "",
        " \t\n",
        "\0",
        "\0\0",
        "\u{200B}",
        "\u{FEFF} \u{2060}",
        "\u{3000}",
    ] {
        assert_eq!(
            ClientName::parse(missing),
            Err(NameError::Missing),
            "{missing:?}"
        );
    }
    for kept in [" a ", "\u{200B}x", "\"quoted\"", "é"] {
        assert_eq!(ClientName::parse(kept).expect("valid").as_str(), kept);
    }
    let longest = "n".repeat(ClientName::MAX_CHARS);
    assert!(ClientName::parse(&longest).is_ok());
    assert_eq!(
        ClientName::parse(&format!("{longest}n")),
        Err(NameError::TooLong)
    );
    // Characters, not bytes.
    assert!(ClientName::parse(&"é".repeat(ClientName::MAX_CHARS)).is_ok());
    // Stored state keeps whatever it has.
    assert!(ClientName::stored("\u{200B}").is_some());
    assert!(ClientName::stored("").is_none());
}

#[test]
fn secret_debug_is_redacted() {
    let secret = ClientSecret::new("hunter2").expect("non-empty");
    assert_eq!(format!("{secret:?}"), "ClientSecret(***)");
    assert!(secret.matches("hunter2"));
    assert!(!secret.matches("hunter3"));
}

#[test]
fn a_client_record_stays_in_its_size_class() {
    // With its `Arc` counts, a client's record is one allocation of the store per client: 192
    // bytes is jemalloc's class for it; one byte more and a tenant of 100,000 takes 3 MiB more.
    assert!(
        std::mem::size_of::<Client>() + 2 * std::mem::size_of::<usize>() <= 192,
        "{}",
        std::mem::size_of::<Client>()
    );
}
