# The recommendation application end to end: on the embedded mock cluster
# (no services needed) and on the harness's real broker and registry.
if(TARGET recommendation_test)
  weir_add_test(NAME test_recommend_embedded
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_embedded.c
            ${CMAKE_CURRENT_LIST_DIR}/test_recommend_run.c
    LABEL integration TIMEOUT 300
    LIBS recommendation_test PkgConfig::RDKAFKA)
  weir_add_test(NAME test_recommend_e2e
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_e2e.c
            ${CMAKE_CURRENT_LIST_DIR}/test_recommend_run.c
    LABEL integration FIXTURES kafka registry TIMEOUT 900
    LIBS recommendation_test PkgConfig::RDKAFKA)
endif()
