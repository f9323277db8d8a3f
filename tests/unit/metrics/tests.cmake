# Unit tests of the metrics module; included by tests/CMakeLists.txt.
dynaudit_unit_test(metrics_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_exposition.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_bounded_labels.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_text_parse.cpp
  LIBS dynaudit_metrics)
