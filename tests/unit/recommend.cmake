# The recommendation application (apps/recommendation): pure parts, the
# topology under the test driver, and the oracle against the topology.
weir_add_test(NAME test_recommend_rank SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_rank.c
  LIBS recommendation_test)
weir_add_test(NAME test_recommend_topology
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_topology.c
          ${CMAKE_CURRENT_LIST_DIR}/test_recommend_support.c
  LIBS recommendation_test)
weir_add_test(NAME test_recommend_oracle
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recommend_oracle.c
          ${CMAKE_CURRENT_LIST_DIR}/test_recommend_support.c
  LIBS recommendation_test)
