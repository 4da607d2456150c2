// `tacit --batch`: one command per line on stdin, one JSON object per line
// on stdout. Replies: {"cmd":..., "ok":..., "status":..., "msg":..., ...};
// unsolicited events: {"event":..., ...}. The contract is documented in
// tacit(1) and kept stable for scripts, bots and tests.
#pragma once
#include "tui/client/client.hpp"

namespace tacit::batch {

int run(client::Options opt);

}  // namespace tacit::batch
