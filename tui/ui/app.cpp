#include "tui/ui/app.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tui/ui/login_screen.hpp"
#include "tui/ui/session.hpp"
#include "tui/ui/terminal.hpp"
#include "tui/ui/width.hpp"

namespace tacit::ui {

int run_app(const client::Options& opt_in, const client::Config& cfg) {
    client::Options opt = opt_in;
    Terminal* term = nullptr;  // set once the screen is up; the callback runs inside connect()
    opt.confirm_new_server = [&term, server = opt_in.server](const std::string& fp) {
        return term && confirm_server(*term, server, fp);
    };
    std::unique_ptr<client::Client> c;
    try {
        c = std::make_unique<client::Client>(opt);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tacit: %s\n", e.what());
        return 2;
    }
    // The config loader has checked the value.
    set_width_rule(choose_width_rule(cfg.width, std::getenv("TMUX"), std::getenv("TERM")).value_or(WidthRule::Sum));
    try {
        Terminal t(cfg.colors);
        term = &t;
        if (!run_login(t, *c, opt, cfg)) return 0;
        Session s(t, *c, opt, cfg);
        int rc = s.run();
        term = nullptr;
        return rc;
    } catch (const std::exception& e) {
        // The terminal is restored by now (Terminal's destructor ran).
        std::fprintf(stderr, "tacit: %s\n", e.what());
        return 1;
    }
}

}  // namespace tacit::ui
