"""Generates C++ message and gRPC code from .proto files with Debian's protoc."""

def portrait_proto_library(name, protos, imports = [], deps = [], visibility = None):
    """A cc_library over the generated code of `protos` (base names, no .proto).

    Imports resolve against proto/, so files import "portrait/v1/x.proto".
    `imports` lists the labels of .proto files of other packages that these
    import, and `deps` the libraries generated from them.
    """
    pkg = native.package_name()
    srcs = [p + ".proto" for p in protos]
    outs = []
    for p in protos:
        outs += [p + ".pb.h", p + ".pb.cc", p + ".grpc.pb.h", p + ".grpc.pb.cc"]
    native.genrule(
        name = name + "_gen",
        srcs = srcs + imports,
        outs = outs,
        cmd = " ".join([
            "/usr/bin/protoc",
            "--proto_path=proto",
            "--cpp_out=$(GENDIR)/proto",
            "--grpc_out=$(GENDIR)/proto",
            "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin",
        ] + ["$(location %s)" % s for s in srcs]),
    )
    native.cc_library(
        name = name,
        visibility = visibility,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        include_prefix = pkg[len("proto/"):],
        strip_include_prefix = "",
        deps = deps + [
            "//third_party/system:grpc",
            "//third_party/system:protobuf",
        ],
    )

def portrait_py_proto(name, protos):
    """Python message and gRPC modules of `protos` (base names), generated
    with Debian's protoc and grpc_python_plugin into portrait/v1/ under the
    genfiles root: put `$(GENDIR)/proto` on PYTHONPATH and import
    `portrait.v1.x_pb2` and `portrait.v1.x_pb2_grpc`."""
    srcs = [p + ".proto" for p in protos]
    outs = []
    for p in protos:
        outs += [p + "_pb2.py", p + "_pb2_grpc.py"]
    native.genrule(
        name = name,
        srcs = srcs,
        outs = outs,
        cmd = " ".join([
            "/usr/bin/protoc",
            "--proto_path=proto",
            "--python_out=$(GENDIR)/proto",
            "--grpc_out=$(GENDIR)/proto",
            "--plugin=protoc-gen-grpc=/usr/bin/grpc_python_plugin",
        ] + ["$(location %s)" % s for s in srcs]),
    )
