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
install(FILES ${PROJECT_SOURCE_DIR}/compiler/support/idl_wire.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/idl
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/compiler/idlc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(IDLC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/idlc)
install(EXPORT idlcTargets NAMESPACE idlc:: DESTINATION ${IDLC_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/idlcConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/idlcConfig.cmake
                              INSTALL_DESTINATION ${IDLC_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/idlcConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/idlcConfig.cmake ${PROJECT_BINARY_DIR}/idlcConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/idlcGenerate.cmake
        DESTINATION ${IDLC_CMAKE_DIR})

file(RELATIVE_PATH IDLC_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" IDLC_PC_TO_PREFIX "${IDLC_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/idlc-runtime.pc.in
               ${PROJECT_BINARY_DIR}/idlc-runtime.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/idlc-runtime.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
