// Loads a SyntheticWorld into a server over gRPC: the catalog, the
// sensitive-signal opt-ins, then every event over one client stream.
#ifndef PORTRAIT_TOOLS_SYNTH_LOAD_WORLD_H_
#define PORTRAIT_TOOLS_SYNTH_LOAD_WORLD_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "tools/synth/synthetic_world.h"

namespace portrait {

// Prints one line with what was stored and refused, and the rate. False,
// after a line on stderr saying why, if a catalog upsert, an opt-in or the
// event stream failed.
bool LoadWorld(const std::shared_ptr<grpc::Channel>& channel,
               SyntheticWorld& world);

}  // namespace portrait

#endif  // PORTRAIT_TOOLS_SYNTH_LOAD_WORLD_H_
