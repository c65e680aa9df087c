# Serde and schema-registry tests (included from tests/unit/CMakeLists.txt).
weir_add_test(NAME test_serde SOURCES test_serde.c)
weir_add_test(NAME test_registry SOURCES test_registry.c TIMEOUT 120)
# Against the real Apicurio Registry of the harness (it stops and resumes it).
weir_add_test(NAME test_registry_http SOURCES test_registry_http.c
  LABEL integration FIXTURES registry TIMEOUT 180)
weir_add_test(NAME test_serde_avro SOURCES test_serde_avro.c)
weir_add_test(NAME test_serde_csv SOURCES test_serde_csv.c)
