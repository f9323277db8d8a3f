# Unit tests of the rules module; included by tests/CMakeLists.txt.
dynaudit_unit_test(rules_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_loader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_conditions.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_decision.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_primitives.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_no_alloc.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_engine.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_reachability_lint.cpp
  LIBS dynaudit_rules)
