# Unit tests of the masking module; included by tests/CMakeLists.txt.
dynaudit_unit_test(masking_unit_tests
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/test_methods.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_paths.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_responses.cpp
    ${CMAKE_CURRENT_LIST_DIR}/test_pagination.cpp
    ${CMAKE_CURRENT_LIST_DIR}/av_validator.cpp
  LIBS dynaudit_masking)
