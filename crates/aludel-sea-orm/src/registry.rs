//! SeaORM's entity registry as a completeness check ([`Models::require_registered`]): an
//! entity the registry knows under a required prefix but nobody added is an error.

use crate::Models;
use crate::error::SeaOrmError;

impl Models {
    /// The module paths of the entities that SeaORM's entity registry lists under `prefix`,
    /// sorted.
    #[cfg(feature = "entity-registry")]
    pub fn registered_modules(prefix: &str) -> Vec<&'static str> {
        let prefix = normalize_prefix(prefix);
        let mut modules: Vec<&'static str> = inventory::iter::<sea_orm::EntityRegistry>()
            .map(|entry| entry.module_path)
            .filter(|path| under_prefix(path, &prefix))
            .collect();
        modules.sort_unstable();
        modules.dedup();
        modules
    }

    #[cfg(feature = "entity-registry")]
    pub(crate) fn check_registered(&self) -> Result<(), SeaOrmError> {
        for prefix in &self.required_prefixes {
            for module_path in Self::registered_modules(prefix) {
                let added = self.entries.iter().any(|e| module_of(e.type_name) == module_path);
                if !added {
                    return Err(SeaOrmError::NotAdded { module_path: module_path.to_owned(), prefix: prefix.clone() });
                }
            }
        }
        Ok(())
    }

    #[cfg(not(feature = "entity-registry"))]
    pub(crate) fn check_registered(&self) -> Result<(), SeaOrmError> {
        Ok(())
    }
}

/// `blog::posts::models::Entity` -> `blog::posts::models`: the module that `module_path!()`
/// names inside the entity's derive.
#[cfg(feature = "entity-registry")]
fn module_of(type_name: &str) -> &str {
    type_name.rsplit_once("::").map_or(type_name, |(module, _)| module)
}

/// Accepts `blog`, `blog::`, `blog::*` and crate names with dashes, as SeaORM's own
/// `get_schema_registry` does.
#[cfg(feature = "entity-registry")]
fn normalize_prefix(prefix: &str) -> String {
    prefix.trim_end_matches('*').trim_end_matches("::").replace('-', "_")
}

#[cfg(feature = "entity-registry")]
fn under_prefix(module_path: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || module_path == prefix
        || module_path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with("::"))
}
