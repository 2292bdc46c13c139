#include "daemon/web/html.h"

#include <array>

namespace ldgs::daemon::web {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendUnicodeEscape(std::string& out, unsigned char code) {
  out.append("\\u00");
  out.push_back(kHex[code >> 4]);
  out.push_back(kHex[code & 0xf]);
}

// No script, no web font, nothing fetched: the page must read on a phone over a slow link
// and carry nothing a hostile record could turn into a request. Tables scroll sideways in
// their own box so the page itself never does.
constexpr char kStyle[] =
    ":root{--fg:#1d232a;--muted:#5b6570;--line:#d5dae0;--soft:#f3f5f7;--accent:#1f5f8b}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
    "color:var(--fg);background:#fff}"
    ".wrap{max-width:60rem;margin:0 auto;padding:0 1rem}"
    "header.site{background:var(--soft);border-bottom:1px solid var(--line)}"
    "header.site .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;"
    "padding:.5rem 1rem}"
    ".hub{font-weight:600;margin-right:auto;overflow-wrap:anywhere}"
    "nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem .9rem;margin:0;padding:0}"
    "nav a{color:var(--accent);text-decoration:none;display:inline-block;padding:.3rem 0}"
    "nav a[aria-current]{font-weight:600;border-bottom:2px solid var(--accent)}"
    "form.logout{display:inline;margin:0}"
    "main{padding-bottom:2rem;overflow-wrap:break-word}"
    "h1{font-size:1.6rem;line-height:1.25;margin:1.2rem 0 .5rem}"
    "h2{font-size:1.25rem;margin:1.8rem 0 .5rem}h3{font-size:1.05rem;margin:1rem 0 .25rem}"
    "a{color:var(--accent)}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.5rem 0 1rem}"
    "table{border-collapse:collapse;min-width:100%}"
    "th,td{padding:.35rem .6rem;border-bottom:1px solid var(--line);text-align:left;"
    "vertical-align:top;white-space:nowrap}"
    "th{background:var(--soft);font-weight:600}"
    "td.text{white-space:normal;min-width:12rem}"
    ".fig{text-align:right;font-variant-numeric:tabular-nums}"
    ".withheld{color:var(--muted);font-style:italic}"
    ".suppressed{color:#8a4b00;font-style:italic}"
    ".muted,.meta,.note{color:var(--muted)}.meta{font-size:.9rem;margin:.1rem 0}"
    ".err{color:#a40000;white-space:normal}"
    "svg.chart{display:block;width:100%;height:auto;max-width:640px;margin:.5rem 0}"
    ".counts{display:flex;flex-wrap:wrap;gap:.5rem 2rem;list-style:none;padding:0;margin:1rem 0}"
    ".counts strong{display:block;font-size:1.6rem;line-height:1.1}"
    "form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0}"
    "input[type=search],input[type=password]{font:inherit;padding:.45rem;width:100%;"
    "max-width:26rem;border:1px solid var(--line);border-radius:4px}"
    "button{font:inherit;padding:.45rem 1rem;border:1px solid var(--accent);border-radius:4px;"
    "background:var(--accent);color:#fff}"
    "form.logout button{padding:.2rem .6rem;background:none;color:var(--accent)}"
    ".facets{display:flex;flex-wrap:wrap;gap:0 2rem}"
    ".facet ul{list-style:none;padding:0;margin:0}.facet li{margin:.15rem 0}"
    ".facet a.on{font-weight:600}.count{color:var(--muted)}"
    "ol.hits{padding-left:1.2rem}.hit{margin:0 0 1rem}"
    "ul.tree,ul.tree ul{list-style:none;padding-left:1.1rem;border-left:2px solid var(--line)}"
    "ul.tree{padding-left:.6rem}ul.tree li{margin:.4rem 0}"
    ".current>.node{background:#fff6d6}.badge{font-size:.8rem;color:var(--muted)}"
    "footer{border-top:1px solid var(--line);color:var(--muted);font-size:.875rem;padding:1rem 0}";

// Defence in depth should a record slip through unescaped: no script runs, nothing loads
// from elsewhere, and forms post only here. The server may send a stricter header too.
constexpr char kPolicy[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'";

struct NavLink {
  const char* key;
  const char* href;
  const char* label;
};

void AppendLink(std::string& out, const NavLink& link, const std::string& active) {
  out.append("<li><a href=\"").append(link.href).append("\"");
  if (active == link.key) out.append(" aria-current=\"page\"");
  out.append(">").append(link.label).append("</a></li>");
}

void AppendNav(std::string& out, const PageFrame& frame) {
  static constexpr std::array<NavLink, 4> kCommon = {{{"overview", "/", "Overview"},
                                                      {"practices", "/practices", "Practices"},
                                                      {"stories", "/stories", "Stories"},
                                                      {"data", "/data", "Open data"}}};
  out.append("<nav aria-label=\"Main\"><ul>");
  for (const NavLink& link : kCommon) AppendLink(out, link, frame.active);
  if (frame.operator_view) {
    AppendLink(out, {"operator", "/operator", "Sync health"}, frame.active);
    if (frame.chapter_node) AppendLink(out, {"standing", "/standing", "Standing"}, frame.active);
    out.append(
        "<li><form class=\"logout\" method=\"post\" action=\"/logout\">"
        "<button type=\"submit\">Log out</button></form></li>");
  } else {
    AppendLink(out, {"login", "/login", "Log in"}, frame.active);
  }
  out.append("</ul></nav>");
}

}  // namespace

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    // C1 controls (U+0080-U+009F, UTF-8 C2 80..C2 9F) are invisible: a reader should see
    // that a peer put them there, as ldgsctl shows them.
    if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      AppendUnicodeEscape(out, static_cast<unsigned char>(text[++i]));
      continue;
    }
    switch (c) {
      case '&':
        out.append("&amp;");
        break;
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '"':
        out.append("&quot;");
        break;
      case '\'':
        out.append("&#39;");
        break;
      case '\n':
        out.push_back('\n');
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendUnicodeEscape(out, c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  return out;
}

std::string UrlEncode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back("0123456789ABCDEF"[c >> 4]);
      out.push_back("0123456789ABCDEF"[c & 0xf]);
    }
  }
  return out;
}

std::string Page(const PageFrame& frame, std::string_view body_html) {
  std::string out;
  out.reserve(body_html.size() + 6000);
  out.append(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"");
  out.append(kPolicy).append("\"><meta name=\"referrer\" content=\"same-origin\"><title>");
  out.append(Escape(frame.title));
  if (!frame.hub_name.empty()) out.append(" \u00b7 ").append(Escape(frame.hub_name));
  out.append("</title><style>").append(kStyle).append("</style></head>\n");
  out.append(frame.operator_view ? "<body class=\"view-operator\">"
                                 : "<body class=\"view-public\">");
  out.append("<header class=\"site\"><div class=\"wrap\"><a class=\"hub\" href=\"/\">");
  out.append(frame.hub_name.empty() ? "ldgs" : Escape(frame.hub_name));
  out.append("</a>");
  AppendNav(out, frame);
  out.append("</div></header>\n<main class=\"wrap\">");
  out.append(body_html);
  out.append("</main>\n<footer><div class=\"wrap\"><p class=\"view\">");
  out.append(frame.operator_view ? "Operator view: includes hub-only data" : "Public view");
  out.append("</p></div></footer></body></html>\n");
  return out;
}

}  // namespace ldgs::daemon::web
