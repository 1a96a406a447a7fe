//! JSON Schemas (draft 2020-12, the dialect of OpenAPI 3.1) for every function's input and
//! output, generated from the contract's types so they can't drift from what the host enforces.

pub mod formats;

use schemars::{Schema, SchemaGenerator, generate::SchemaSettings};

use crate::{Function, with_contract};

/// The JSON Schema of `function`'s input, standalone (its definitions under `$defs`).
pub fn input_schema(function: Function) -> Schema {
    with_contract!(function, C => SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<<C as crate::Contract>::Input>())
}

/// The JSON Schema of `function`'s output, standalone.
pub fn output_schema(function: Function) -> Schema {
    with_contract!(function, C => SchemaGenerator::new(SchemaSettings::draft2020_12()).into_root_schema_for::<<C as crate::Contract>::Output>())
}

/// Every function's schemas for an OpenAPI document, with shared definitions.
pub struct OpenApiSchemas {
    /// `(function, input, output)`, in contract order; references point at
    /// `#/components/schemas/<Name>`.
    pub functions: Vec<(Function, Schema, Schema)>,
    /// The shared definitions, for `components.schemas`.
    pub definitions: serde_json::Map<String, serde_json::Value>,
}

/// Schemas of every function's input and output in one generator, with shared definitions
/// referenced as `#/components/schemas/<Name>`: what an OpenAPI 3.1 document embeds.
pub fn openapi_schemas() -> OpenApiSchemas {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "#/components/schemas/".into();
    let mut generator = SchemaGenerator::new(settings);
    let schemas = Function::all()
        .map(|function| {
            with_contract!(function, C => {
                let input = generator.subschema_for::<<C as crate::Contract>::Input>();
                let output = generator.subschema_for::<<C as crate::Contract>::Output>();
                (function, input, output)
            })
        })
        .collect();
    OpenApiSchemas { functions: schemas, definitions: generator.take_definitions(true) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn every_function_has_an_object_input_and_a_described_output() {
        for f in Function::all() {
            let input = input_schema(f);
            assert_eq!(input.get("type"), Some(&Value::from("object")), "{f}");
            let output = output_schema(f);
            assert!(output.get("type").is_some() || output.get("$ref").is_some(), "{f}: {output:?}");
        }
    }

    #[test]
    fn customer_functions_require_the_document() {
        let schema = input_schema(Function::ListInvoices);
        let required = schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
        assert!(required.contains(&Value::from("customer_document_number")));
        assert_eq!(schema.get("additionalProperties"), Some(&Value::Bool(false)));
    }

    #[test]
    fn list_outputs_are_arrays_of_the_seed_shape() {
        let schema = output_schema(Function::ListInvoices);
        assert_eq!(schema.get("type"), Some(&Value::from("array")));
        let text = serde_json::to_string(&schema).unwrap_or_default();
        for field in ["linha_digitavel", "pix_code", "codigo_barras", "valor_final"] {
            assert!(text.contains(field), "{field}");
        }
    }

    #[test]
    fn openapi_schemas_share_definitions_under_components() {
        let OpenApiSchemas { functions, definitions } = openapi_schemas();
        assert_eq!(functions.len(), 22);
        assert!(definitions.contains_key("Fatura"));
        let text = serde_json::to_string(&functions[7].2).unwrap_or_default();
        assert!(text.contains("#/components/schemas/Fatura"), "{text}");
    }
}
