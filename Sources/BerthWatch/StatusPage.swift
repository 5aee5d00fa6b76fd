import BerthGit
import Foundation

/// The read-only status page: HTML and CSS rendered on the server, no script, one request.
///
/// Every value is escaped; the page carries no attribute values of resources, no secrets and no validation messages
/// (they can quote a value), only addresses, health, reasons, revisions, URIs and commits.
public enum StatusPage {
  public static let contentType = "text/html; charset=utf-8"

  public static func render(_ status: ControllerStatus, metrics: WatchMetrics, now: Date) -> String {
    var html = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta http-equiv="refresh" content="\(max(10, min(60, Int(status.interval))))">
      <title>berth watch</title>
      <style>\(css)</style>
      </head><body>
      <header><h1>berth watch</h1>\(loopBadge(status, metrics: metrics, now: now))</header>

      """
    html += sourceSection(status)
    html += resourcesSection(status)
    html += driftSection(status)
    html += appliesSection(status)
    html += graphSection(status)
    html += "<footer>berth \(escape(metrics.version)) · page rendered \(time(now)) · "
    html += "<a href=\"/metrics\">metrics</a> · <a href=\"/healthz\">healthz</a></footer>\n</body></html>\n"
    return html
  }

  static func loopBadge(_ status: ControllerStatus, metrics: WatchMetrics, now: Date) -> String {
    let healthy = metrics.isHealthy(at: now)
    var parts = [
      "<span class=\"badge \(healthy ? "ok" : "bad")\" id=\"loop-health\">\(healthy ? "loop healthy" : "loop stale")</span>",
      "<span>mode: \(status.selfHeal ? "self-heal" : "report only")</span>",
      "<span>interval \(escape(WatchDuration.format(status.interval)))</span>",
    ]
    if let result = status.result {
      let reason = status.reason.map { " (\(escape($0)))" } ?? ""
      parts.append(
        "<span id=\"last-cycle\">cycle \(status.cycle): <b class=\"\(cssClass(result.rawValue))\">\(result.rawValue)</b>\(reason)</span>"
      )
    }
    if let end = status.lastCycleEnd { parts.append("<span>ended \(time(end))</span>") }
    if let next = status.nextCycleAt { parts.append("<span>next \(time(next))</span>") }
    return "<div class=\"loop\">" + parts.joined(separator: " ") + "</div>"
  }

  static func sourceSection(_ status: ControllerStatus) -> String {
    guard let source = status.source else { return "" }
    var html = "<section id=\"source\"><h2>Source</h2><dl>"
    html += "<dt>repository</dt><dd><code>\(escape(WatchLogRecord.redacted(source.url)))</code></dd>"
    html += "<dt>follows</dt><dd><code>\(escape(source.branch))</code>"
    html += source.path.isEmpty ? "" : " path <code>\(escape(source.path))</code>"
    html += "</dd><dt>running commit</dt><dd id=\"current-commit\">\(commit(source.current))</dd>"
    if let head = source.head, head.sha != source.current?.sha {
      html += "<dt>newest fetched</dt><dd id=\"head-commit\">\(commit(head))"
      if source.behind > 0 { html += " <b id=\"behind\">\(source.behind) commit(s) ahead of the running one</b>" }
      html += "</dd>"
    }
    if let fetched = source.fetchedAt { html += "<dt>fetched</dt><dd>\(time(fetched))</dd>" }
    html += "</dl>"
    if let error = source.fetchError {
      html += "<p class=\"alert\" id=\"fetch-error\">fetch failed: \(escape(WatchLogRecord.redacted(error)))</p>"
    }
    if let refusal = source.refused {
      html += "<div class=\"alert\" id=\"refused\"><b>commit \(escape(refusal.commit.shortSHA)) refused</b>: "
      html += "\(escape(refusal.reason)); the previous commit keeps running. "
      html += "\(escape(refusal.commit.subject)) — \(escape(refusal.commit.author))<ul>"
      for location in refusal.locations { html += "<li><code>\(escape(location))</code></li>" }
      html += "</ul><small>run <code>berth validate</code> on that commit for the messages</small></div>"
    }
    return html + "</section>\n"
  }

  static func resourcesSection(_ status: ControllerStatus) -> String {
    var html = "<section id=\"resources\"><h2>Resources (\(status.resources.count))</h2>"
    guard !status.resources.isEmpty else { return html + "<p>No cycle has planned yet.</p></section>\n" }
    html += "<table><thead><tr><th>resource</th><th>health</th><th>sync</th><th>revision</th><th>scoring URI</th>"
    html += "<th>commit</th><th>why</th></tr></thead><tbody>\n"
    for resource in status.resources {
      html += "<tr id=\"\(escape(anchor(resource.address)))\" class=\"row-\(cssClass(resource.sync))\">"
      html += "<td><code>\(escape(resource.address))</code></td>"
      html += "<td class=\"\(cssClass(resource.health))\">\(escape(resource.health))</td>"
      html += "<td class=\"sync \(cssClass(resource.sync))\">\(escape(resource.sync))</td>"
      html += "<td>\(resource.revision.map { "<code>\(escape($0))</code>" } ?? "")</td>"
      html += "<td>\(resource.scoringURI.map(link) ?? "")</td>"
      html += "<td>\(resource.commit.map { "<code>\(escape($0))</code>" } ?? "")</td>"
      html += "<td>\(escape(resource.reason))</td></tr>\n"
    }
    return html + "</tbody></table></section>\n"
  }

  static func driftSection(_ status: ControllerStatus) -> String {
    let drifted = status.drifted
    var html = "<section id=\"drift\"><h2>Drift (\(drifted.count))</h2>"
    guard !drifted.isEmpty else { return html + "<p>Nothing changed outside Berth.</p></section>\n" }
    html += "<ul>"
    for resource in drifted {
      html += "<li><a href=\"#\(escape(anchor(resource.address)))\"><code>\(escape(resource.address))</code></a> "
      html += "<b>drifted</b>: \(escape(resource.reason))</li>"
    }
    return html + "</ul></section>\n"
  }

  static func appliesSection(_ status: ControllerStatus) -> String {
    var html = "<section id=\"applies\"><h2>Last applies</h2>"
    guard !status.applies.isEmpty else { return html + "<p>None since the start.</p></section>\n" }
    html += "<table><thead><tr><th>cycle</th><th>at</th><th>commit</th><th>result</th><th>actions</th></tr></thead><tbody>"
    for apply in status.applies {
      let ok = apply.failed.isEmpty
      html += "<tr><td>\(apply.cycle)</td><td>\(time(apply.at))</td>"
      html += "<td>\(apply.commit.map { "<code>\(escape(String($0.prefix(12))))</code>" } ?? "")</td>"
      html += "<td class=\"\(ok ? "synced" : "failed")\">\(ok ? "succeeded" : "failed") (\(apply.succeeded) ok"
      html += ok ? ")" : ", \(apply.failed.count) failed)<ul>" + apply.failed.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
      html += "</td><td><code>\(escape(apply.actions))</code></td></tr>"
    }
    return html + "</tbody></table></section>\n"
  }

  static func graphSection(_ status: ControllerStatus) -> String {
    var html = "<section id=\"graph\"><h2>Graph</h2>"
    if let svg = status.graphSVG, let start = svg.range(of: "<svg") {
      // Graphviz's own SVG from Berth's DOT (names escaped by DotRenderer); the XML prologue is dropped to inline it.
      html += "<div class=\"graph\">" + svg[start.lowerBound...] + "</div>"
    } else if let dot = status.graphDOT {
      html += "<p>Install Graphviz (<code>dot</code>) to see the graph drawn; its DOT text:</p><pre>\(escape(dot))</pre>"
    } else {
      html += "<p>No cycle has read the manifests yet.</p>"
    }
    return html + "</section>\n"
  }

  // MARK: - Pieces

  static func commit(_ commit: GitCommit?) -> String {
    guard let commit else { return "none yet" }
    return "<code title=\"\(escape(commit.sha))\">\(escape(commit.shortSHA))</code> \(escape(commit.subject)) "
      + "<small>— \(escape(commit.author))\(commit.date.isEmpty ? "" : ", " + escape(commit.date))</small>"
  }

  static func link(_ uri: String) -> String {
    let shown = escape(WatchLogRecord.redacted(uri))
    return uri.hasPrefix("http://") || uri.hasPrefix("https://") ? "<a href=\"\(shown)\">\(shown)</a>" : "<code>\(shown)</code>"
  }

  static func anchor(_ address: String) -> String {
    "r-" + address.map { $0.isLetter || $0.isNumber || $0 == "-" ? String($0) : "_" }.joined()
  }

  static func cssClass(_ text: String) -> String { text.lowercased().filter { $0.isLetter } }

  static func time(_ date: Date) -> String {
    Date.ISO8601FormatStyle().format(date)
  }

  /// Text for HTML content and attribute values.
  public static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }

  static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 32px;\
    color:#1d2430;background:#fafbfc}
    header{display:flex;flex-wrap:wrap;align-items:baseline;gap:16px;border-bottom:1px solid #d8dee4;padding:12px 0}
    h1{font-size:22px;margin:0}h2{font-size:17px;margin:24px 0 8px}
    .loop span{margin-right:12px;color:#57606a}
    .badge{padding:2px 8px;border-radius:10px;font-weight:600;color:#fff!important}.badge.ok{background:#2da44e}\
    .badge.bad{background:#cf222e}
    table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d8dee4}
    th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
    th{background:#f3f5f7;font-weight:600}
    td.sync{font-weight:600}.synced{color:#1a7f37}.outofsync{color:#9a6700}.drifted{color:#bc4c00}\
    .failed{color:#cf222e}tr.row-drifted{background:#fff8f0}tr.row-failed{background:#fff5f5}
    .healthy{color:#1a7f37}.degraded,.missing{color:#cf222e}.progressing{color:#9a6700}.unknown{color:#57606a}
    b.ok{color:#1a7f37}b.error{color:#cf222e}b.skipped{color:#9a6700}
    dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{color:#57606a}dd{margin:0}
    .alert{background:#fff5f5;border:1px solid #ffcecb;border-radius:6px;padding:8px 12px}
    code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{overflow:auto;background:#fff;padding:8px}
    .graph{overflow:auto;background:#fff;border:1px solid #d8dee4;padding:8px}.graph svg{max-width:100%;height:auto}
    footer{margin-top:32px;color:#57606a;font-size:12px}
    """
}
