// tacit: the full-screen client, or `tacit --batch` for scripts (tacit(1)).
#include <cstdio>
#include <cstring>
#include <fmt/core.h>
#include <string>
#include <vector>

#include "shared/no_core.hpp"
#include "tui/batch/batch.hpp"
#include "tui/client/config.hpp"
#include "tui/ui/app.hpp"

using namespace tacit;

namespace {

const char* kUsage = R"(usage: tacit [--server ADDR[,ADDR...]] [--server-key FILE] [--user NAME] [--config FILE] [--batch] [--adopt]

End-to-end encrypted chat in the terminal.

  --server ADDR[,ADDR...]
                       tacitd to connect to: HOST:PORT or unix:PATH (default: `server` in the config,
                       else unix:/run/tacit/tacitd.sock if that socket exists, else 127.0.0.1:7700);
                       several addresses of one server (a cluster's nodes) are tried in turn
  --server-key FILE    pin this server public key (tacitd's keys/server.pub) instead of trusting on first use
  --user NAME          account to log in as (default: `user` in the config; asked otherwise)
  --config FILE        configuration file (default $XDG_CONFIG_HOME/tacit/config)
  --batch              no screen: one command per line on stdin, one JSON object per line on stdout
  --adopt              log in from a copy of the account directory (another host or place) and make it
                       the account's; run no other copy afterwards
  -h, --help           show this help
  -V, --version        show the version
)";

}  // namespace

int main(int argc, char** argv) {
    // Before any password is typed or key file opened: a core file would hold them.
    if (auto err = disable_core_dumps(); !err.empty()) {
        fmt::print(stderr, "tacit: cannot disable core dumps: {}\n", err);
        return 1;
    }
    std::vector<std::string> args(argv + 1, argv + argc);
    std::string server, server_key, user, config_path = client::default_config_path();
    bool batch_mode = false, adopt = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= args.size()) {
                fmt::print(stderr, "tacit: {} needs a value (see --help)\n", a);
                std::exit(2);
            }
            return args[++i];
        };
        if (a == "-h" || a == "--help") {
            fmt::print("{}", kUsage);
            return 0;
        } else if (a == "-V" || a == "--version") {
            fmt::print("tacit 1.1 (protocol v2)\n");
            return 0;
        } else if (a == "--server") server = val();
        else if (a == "--server-key") server_key = val();
        else if (a == "--user") user = val();
        else if (a == "--config") config_path = val();
        else if (a == "--batch") batch_mode = true;
        else if (a == "--adopt") adopt = true;
        else {
            fmt::print(stderr, "tacit: unknown option {} (see --help)\n", a);
            return 2;
        }
    }
    client::Config cfg;
    try {
        cfg = client::load_config(config_path);
    } catch (const std::exception& e) {
        fmt::print(stderr, "tacit: {}\n", e.what());
        return 2;
    }
    if (!server.empty()) cfg.server = server;
    if (!server_key.empty()) cfg.server_key = server_key;
    if (!user.empty()) cfg.user = user;
    client::Options opt;
    opt.server = cfg.server;
    opt.server_key_file = cfg.server_key;
    opt.adopt = adopt;
    if (batch_mode) return batch::run(opt);
    return ui::run_app(opt, cfg);
}
