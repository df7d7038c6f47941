# Writes OUT: a C++ source holding Leaflet's leaflet.js and leaflet.css (from LEAFLET_DIR) as
# byte arrays, so report.html carries them inline and opens offline.
function(shadegap_embed_bytes var file name)
  file(READ ${file} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  set(${var} "${${var}}const unsigned char ${name}[] = {\n${bytes}};\n" PARENT_SCOPE)
endfunction()
set(body "// Generated from libjs-leaflet's leaflet.js and leaflet.css at build time. Do not edit.\n#include <string>\nnamespace shadegap::detail {\nnamespace {\n")
shadegap_embed_bytes(body ${LEAFLET_DIR}/leaflet.js leaflet_js_bytes)
shadegap_embed_bytes(body ${LEAFLET_DIR}/leaflet.css leaflet_css_bytes)
string(APPEND body "}  // namespace\n"
  "const std::string& leaflet_js() {\n  static const std::string text(reinterpret_cast<const char*>(leaflet_js_bytes), sizeof leaflet_js_bytes);\n  return text;\n}\n"
  "const std::string& leaflet_css() {\n  static const std::string text(reinterpret_cast<const char*>(leaflet_css_bytes), sizeof leaflet_css_bytes);\n  return text;\n}\n"
  "}  // namespace shadegap::detail\n")
file(WRITE ${OUT}.tmp "${body}")
file(RENAME ${OUT}.tmp ${OUT})
