//! The legacy Clients and Settings API: its client operations, each operation's parameters and
//! refusals, `janrain-signed` requests, and every operation through every credential form.

mod clients;
mod credential_forms;
mod operations;
mod signed;
