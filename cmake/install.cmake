# What `cmake --install` puts under the prefix, for projects that use idlc:
#   bin/idlc, share/man/man1/idlc.1
#   include/idl_wire.h, include/idl/*.h (the runtime's public headers)
#   lib/libidl_runtime.a (the runtime with its Linux port)
#   lib/cmake/idlc/ (find_package(idlc): targets idlc::idlc, idlc::wire,
#                    idlc::runtime and the function idlc_generate)
#   lib/pkgconfig/idlc-runtime.pc
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS idlc EXPORT idlcTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS idl_wire idl_runtime EXPORT idlcTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# A runtime built with the sanitizers needs their libraries in whatever
# links it.
if(IDLC_SANITIZE)
  target_link_options(idl_runtime INTERFACE
                      $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/compiler/support/idl_wire.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/idl
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/compiler/idlc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(IDLC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/idlc)
install(EXPORT idlcTargets NAMESPACE idlc:: DESTINATION ${IDLC_CMAKE_DIR})
# The package files for the install tree only: kept off the build tree's
# top, where find_package would take the build tree for a package it is not
# (it has no idlcTargets.cmake).
set(IDLC_PACKAGE_STAGE ${PROJECT_BINARY_DIR}/install-package)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/idlcConfig.cmake.in
                              ${IDLC_PACKAGE_STAGE}/idlcConfig.cmake
                              INSTALL_DESTINATION ${IDLC_CMAKE_DIR})
write_basic_package_version_file(${IDLC_PACKAGE_STAGE}/idlcConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${IDLC_PACKAGE_STAGE}/idlcConfig.cmake ${IDLC_PACKAGE_STAGE}/idlcConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/idlcGenerate.cmake
        DESTINATION ${IDLC_CMAKE_DIR})

file(RELATIVE_PATH IDLC_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" IDLC_PC_TO_PREFIX "${IDLC_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/idlc-runtime.pc.in
               ${PROJECT_BINARY_DIR}/idlc-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/idlc-runtime.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
