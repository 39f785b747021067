# The nwrfc backend (gateway/backend/nwrfc.c): built into the rfmgw executable only, against
# the SAP NW RFC SDK in NWRFC_HOME (<sdk>/include/sapnwrfc.h, <sdk>/lib/libsapnwrfc.so) or,
# with RFMGW_NWRFC_FAKE, against the test fake in tests/nwrfc_fake. gateway/backend/backend.c
# finds it through a weak reference, so everything else links without it.
target_compile_definitions(rfmgw_core PUBLIC RFMGW_WITH_NWRFC=1)

if(RFMGW_NWRFC_FAKE)
  # The fake: its own API code plus abapsim's function modules, as libsapnwrfc.so in a tree
  # shaped like the SDK's. Symbols of the static libraries stay inside (--exclude-libs), so
  # its copy of the core never clashes with the gateway's.
  set(NWRFC_HOME ${CMAKE_BINARY_DIR}/nwrfc_fake)
  add_library(sapnwrfc SHARED ${CMAKE_SOURCE_DIR}/tests/nwrfc_fake/fake.c)
  target_include_directories(sapnwrfc PUBLIC ${CMAKE_SOURCE_DIR}/tests/nwrfc_fake/include)
  target_link_libraries(sapnwrfc PRIVATE rfmgw_sim)
  target_link_options(sapnwrfc PRIVATE -Wl,--exclude-libs,ALL)
  set_target_properties(sapnwrfc PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${NWRFC_HOME}/lib)
  set(RFMGW_NWRFC_LIB sapnwrfc)
else()
  if(NOT NWRFC_HOME OR NOT EXISTS "${NWRFC_HOME}/include/sapnwrfc.h")
    message(FATAL_ERROR "RFMGW_WITH_NWRFC needs -DNWRFC_HOME=<SAP NW RFC SDK directory> "
      "with include/sapnwrfc.h and lib/libsapnwrfc.so (NWRFC_HOME='${NWRFC_HOME}')")
  endif()
  add_library(sapnwrfc_sdk SHARED IMPORTED)
  set_target_properties(sapnwrfc_sdk PROPERTIES
    IMPORTED_LOCATION ${NWRFC_HOME}/lib/libsapnwrfc.so
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${NWRFC_HOME}/include
    INTERFACE_INCLUDE_DIRECTORIES ${NWRFC_HOME}/include)
  # The SDK's headers select UTF-16 and the platform with these macros (SAP's samples use them).
  set_target_properties(sapnwrfc_sdk PROPERTIES INTERFACE_COMPILE_DEFINITIONS
    "SAPonUNIX;SAPonLIN;SAPwithUNICODE;SAPwithTHREADS;UNICODE;_UNICODE;_LARGEFILE_SOURCE;_FILE_OFFSET_BITS=64;__NO_MATH_INLINES")
  set(RFMGW_NWRFC_LIB sapnwrfc_sdk)
  set_target_properties(rfmgw PROPERTIES BUILD_RPATH ${NWRFC_HOME}/lib)
endif()

target_sources(rfmgw PRIVATE ${CMAKE_SOURCE_DIR}/gateway/backend/nwrfc.c)
target_link_libraries(rfmgw PRIVATE ${RFMGW_NWRFC_LIB})
