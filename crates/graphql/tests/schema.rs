//! The checked-in `schema.graphql` must be the schema this build serves, and every type and field
//! in it must be documented (descriptions ship in the SDL and in GraphiQL).

use std::path::PathBuf;

use serde_json::Value;

#[test]
fn schema_graphql_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schema.graphql");
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == taio_graphql::sdl(),
        "schema.graphql is out of date; rewrite it with:\n    cargo run -p taio-server --bin taio -- schema --output schema.graphql"
    );
}

const INTROSPECTION: &str = "{ __schema { types { name description
    fields { name description } inputFields { name description } enumValues { name description } } } }";

const BUILT_IN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

#[tokio::test]
async fn every_type_and_field_has_a_description() {
    let response = taio_graphql::schema_builder().finish().execute(INTROSPECTION).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    let described = |v: &Value| v["description"].as_str().is_some_and(|d| !d.trim().is_empty());
    let mut missing = Vec::new();
    for t in data["__schema"]["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        if name.starts_with("__") || BUILT_IN.contains(&name) {
            continue;
        }
        if !described(t) {
            missing.push(name.to_owned());
        }
        for list in ["fields", "inputFields", "enumValues"] {
            for member in t[list].as_array().into_iter().flatten() {
                if !described(member) {
                    missing.push(format!("{name}.{}", member["name"].as_str().unwrap()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "undocumented schema items: {missing:?}");
}

/// The introspection query GraphiQL sends on load (graphql-js `getIntrospectionQuery` with
/// deprecated input values and nine levels of `ofType`), for its docs and completion.
fn graphiql_introspection() -> String {
    let mut type_ref = String::from("kind name");
    for _ in 0..9 {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "query IntrospectionQuery {{
          __schema {{
            queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }}
            types {{ ...FullType }}
            directives {{ name description locations args(includeDeprecated: true) {{ ...InputValue }} }}
          }}
        }}
        fragment FullType on __Type {{
          kind name description
          fields(includeDeprecated: true) {{
            name description args(includeDeprecated: true) {{ ...InputValue }}
            type {{ ...TypeRef }} isDeprecated deprecationReason
          }}
          inputFields(includeDeprecated: true) {{ ...InputValue }}
          interfaces {{ ...TypeRef }}
          enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }}
          possibleTypes {{ ...TypeRef }}
        }}
        fragment InputValue on __InputValue {{
          name description type {{ ...TypeRef }} defaultValue isDeprecated deprecationReason
        }}
        fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

#[tokio::test]
async fn graphiqls_introspection_query_is_within_the_default_limits() {
    let response = taio_graphql::schema_builder().finish().execute(graphiql_introspection()).await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().unwrap();
    assert_eq!(data["__schema"]["subscriptionType"]["name"], "Subscription");
}
