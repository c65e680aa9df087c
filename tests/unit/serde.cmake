# Serde and schema-registry tests (included from tests/unit/CMakeLists.txt).
weir_add_test(NAME test_serde SOURCES test_serde.c)
weir_add_test(NAME test_registry SOURCES test_registry.c TIMEOUT 120)
# Against the real Apicurio Registry of the harness (it stops and resumes it).
weir_add_test(NAME test_registry_http SOURCES test_registry_http.c
  LABEL integration FIXTURES registry TIMEOUT 180)
weir_add_test(NAME test_serde_avro SOURCES test_serde_avro.c)
weir_add_test(NAME test_serde_csv SOURCES test_serde_csv.c)

# The protobuf serde's test messages, generated with protoc-c.
set(serde_proto_out ${CMAKE_CURRENT_BINARY_DIR}/proto)
add_custom_command(
  OUTPUT ${serde_proto_out}/test_serde.pb-c.c ${serde_proto_out}/test_serde.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${serde_proto_out}
  COMMAND ${PROTOC_C} --c_out=${serde_proto_out}
          -I${CMAKE_CURRENT_SOURCE_DIR}/proto
          ${CMAKE_CURRENT_SOURCE_DIR}/proto/test_serde.proto
  DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/proto/test_serde.proto
  COMMENT "protoc-c test_serde.proto")
weir_add_test(NAME test_serde_protobuf
  SOURCES test_serde_protobuf.c ${serde_proto_out}/test_serde.pb-c.c)
target_include_directories(test_serde_protobuf PRIVATE ${serde_proto_out})
weir_add_test(NAME test_registry_protocol SOURCES test_registry_protocol.c
  LIBS PkgConfig::MHD)
# TLS against `openssl s_server` with a certificate made by the test.
weir_add_test(NAME test_registry_tls SOURCES test_registry_tls.c TIMEOUT 60)
