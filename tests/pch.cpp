// The translation unit that builds tests/pch.hpp once (tests/CMakeLists.txt).
