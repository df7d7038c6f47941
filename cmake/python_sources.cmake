# The Python sources of python/shadegap/ into ${CMAKE_BINARY_DIR}/python/shadegap/, so that
# PYTHONPATH=${CMAKE_BINARY_DIR}/python imports the package from the build (shadegap.dask
# needs nothing compiled: it runs the shadegap program).
file(GLOB SHADEGAP_PYTHON_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/python/shadegap/*.py)
foreach(source IN LISTS SHADEGAP_PYTHON_SOURCES)
  get_filename_component(name ${source} NAME)
  configure_file(${source} ${CMAKE_BINARY_DIR}/python/shadegap/${name} COPYONLY)
endforeach()
