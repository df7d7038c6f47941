# `cmake --install`: the library, the public headers (with the generated version.hpp), the
# CMake package (find_package(shadegap) → shadegap::core), a pkg-config file and the program.
# docs/library.md.
include(CMakePackageConfigHelpers)

set(SHADEGAP_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/shadegap
    CACHE STRING "Where shadegapConfig.cmake is installed, relative to the prefix")
mark_as_advanced(SHADEGAP_INSTALL_CMAKEDIR)

install(TARGETS shadegap_core EXPORT shadegapTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS shadegap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/shadegap DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/include/shadegap/version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/shadegap)
install(EXPORT shadegapTargets NAMESPACE shadegap:: FILE shadegapTargets.cmake
        DESTINATION ${SHADEGAP_INSTALL_CMAKEDIR})

# A static library brings its private dependencies into the consumer's link line
# ($<LINK_ONLY:...> in the exported targets), so the config file finds them too; a shared one
# needs only what the public interface names (GDAL).
get_target_property(SHADEGAP_CORE_TYPE shadegap_core TYPE)
if(SHADEGAP_CORE_TYPE STREQUAL "STATIC_LIBRARY")
  set(SHADEGAP_STATIC TRUE)
else()
  set(SHADEGAP_STATIC FALSE)
endif()
configure_package_config_file(cmake/shadegapConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/shadegapConfig.cmake
  INSTALL_DESTINATION ${SHADEGAP_INSTALL_CMAKEDIR})
# 0.x: a new minor version may change the API, so only the same MAJOR.MINOR is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/shadegapConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/shadegapConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/shadegapConfigVersion.cmake
        DESTINATION ${SHADEGAP_INSTALL_CMAKEDIR})

# pkg-config: the prefix is found from the .pc file's own folder (${pcfiledir}), so the file
# is right for any `cmake --install --prefix` and for a moved tree. For a static library the
# dependencies go into Requires/Libs (a plain `pkg-config --libs shadegap` then links);
# for a shared one into Requires.private/Libs.private.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "shadegap.pc needs a relative CMAKE_INSTALL_LIBDIR, got ${CMAKE_INSTALL_LIBDIR}")
endif()
file(RELATIVE_PATH SHADEGAP_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" SHADEGAP_PC_TO_PREFIX "${SHADEGAP_PC_TO_PREFIX}")
set(SHADEGAP_PC_DEPENDENCIES
    "geos >= 3.11, proj >= 9.1, fmt >= 9, tomlplusplus >= 3.3, nlohmann_json >= 3.11, libxxhash >= 0.8, libdeflate >= 1.10")
# cctz has no .pc file; OpenMP is a compiler flag (libgomp with g++).
set(SHADEGAP_PC_OTHER_LIBS "-lcctz ${OpenMP_CXX_FLAGS}")
if(SHADEGAP_STATIC)
  set(SHADEGAP_PC_REQUIRES "gdal >= 3.6, ${SHADEGAP_PC_DEPENDENCIES}")
  set(SHADEGAP_PC_REQUIRES_PRIVATE "")
  set(SHADEGAP_PC_LIBS "-L\${libdir} -lshadegap ${SHADEGAP_PC_OTHER_LIBS}")
  set(SHADEGAP_PC_LIBS_PRIVATE "")
else()
  set(SHADEGAP_PC_REQUIRES "gdal >= 3.6")
  set(SHADEGAP_PC_REQUIRES_PRIVATE "${SHADEGAP_PC_DEPENDENCIES}")
  set(SHADEGAP_PC_LIBS "-L\${libdir} -lshadegap")
  set(SHADEGAP_PC_LIBS_PRIVATE "${SHADEGAP_PC_OTHER_LIBS}")
endif()
configure_file(cmake/shadegap.pc.in ${CMAKE_CURRENT_BINARY_DIR}/shadegap.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/shadegap.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The QGIS Processing plugin (Python; it runs the installed shadegap program): copied or linked
# into a QGIS profile's python/plugins folder, or found through QGIS_PLUGINPATH. docs/qgis.md.
install(DIRECTORY qgis/shadegap_processing DESTINATION ${CMAKE_INSTALL_DATADIR}/shadegap/qgis
        PATTERN "__pycache__" EXCLUDE)
