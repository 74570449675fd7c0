//! The Configuration API: its client resources, and each operation's bodies and refusals.

mod clients;
mod operations;
