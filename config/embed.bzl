"""Compiles a text file into a C++ library as a NUL-terminated char array."""

def embedded_text_library(name, src, symbol, header, visibility = None):
    """A cc_library `name` defining `extern const char portrait::<symbol>[]`.

    `header` (a file in the calling package) must declare it. `visibility`
    applies to the library (the generated source stays private).
    """
    native.genrule(
        name = name + "_cc",
        srcs = [src],
        outs = [name + ".cc"],
        cmd = ("(echo '#include \"%s/%s\"';" % (native.package_name(), header) +
               " echo 'namespace portrait {';" +
               " echo 'const char %s[] = R\"embedded_text(';" % symbol +
               " cat $(location %s);" % src +
               " echo ')embedded_text\";';" +
               " echo '}  // namespace portrait') > $@"),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [header],
        visibility = visibility,
    )
