//! The control plane: applications made at run time, the clocks, the journal, fault rules,
//! snapshot and reset, isolation per application, the OpenAPI document and the console's needs.

mod apps;
mod clock;
mod console;
mod isolation;
mod journal_faults_snapshot;
mod openapi;
