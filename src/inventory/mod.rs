//! Loading inventories from files: opsdeck's native TOML and Ansible INI imports.
