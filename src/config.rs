//! Configuration: profiles in a TOML file in the platform config directory, overridden by
//! `TIMPORT_*` environment variables and by flags; the paths of the config, data, ledger and log.
