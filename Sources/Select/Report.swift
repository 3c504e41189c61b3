import Glibc
import Scorer

/// A self-contained HTML page (inline SVG, no scripts or external assets) showing what the selection did:
/// the budget split, score histograms pool vs selected, and the style x source composition.
public enum Report {
    static let poolColor = "#cfd6de"
    static let selectedColor = "#2f6fb3"

    public static func write(store: ScoreStore, selection: Selection, manifest: Manifest, directory: String) throws(SelectError) -> String {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .table(.io(path: directory, reason: "cannot create folder: \(String(cString: strerror(errno)))"))
        }
        let path = directory + "/index.html"
        try SelectPipeline.writeText(html(store: store, selection: selection, manifest: manifest), to: path)
        return path
    }

    static func html(store: ScoreStore, selection: Selection, manifest: Manifest) -> String {
        var picked = [Bool](repeating: false, count: store.count)
        for r in selection.rows { picked[Int(r)] = true }
        var body = "<h1>mmssr selection</h1>\n" + summary(manifest)
        if !manifest.perCapability.isEmpty {
            body += "<h2>Budget split by capability</h2>\n" + budgetSplit(manifest)
        }
        body += "<h2>Score histograms: pool (ok rows) vs selected</h2>\n<div class=grid>"
        for key in manifest.capabilities {
            let c = Capabilities.keys.firstIndex(of: key)!
            body += histogram(store: store, picked: picked, capability: c)
        }
        body += "</div>\n<h2>Style x source composition (share of style labels)</h2>\n"
        body += composition(store: store, picked: picked)
        return """
        <!doctype html>
        <html><head><meta charset="utf-8"><title>mmssr selection report</title>
        <style>
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px 32px;color:#1d2733;max-width:1200px}
        h1{font-size:22px;margin:0 0 12px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e3e7ec;padding-bottom:4px}
        table.summary td{padding:2px 14px 2px 0}table.summary td:first-child{color:#5b6876}
        .grid{display:flex;flex-wrap:wrap;gap:10px}.warn{color:#a5430a;font-weight:600}
        .legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px}
        svg text{font:11px system-ui,sans-serif;fill:#1d2733}
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }

    static func summary(_ m: Manifest) -> String {
        var rows: [(String, String)] = [
            ("method", m.method), ("capabilities", m.capabilities.joined(separator: ", ")),
            ("threshold", "\(m.threshold)"), ("budget", "\(m.budget) (argument \(m.budgetArgument), pool of \(m.poolItems))"),
            ("ok rows", "\(m.okRows)"), ("selected", "\(m.selected)"),
        ]
        if m.shortfall > 0 { rows.append(("shortfall", "\(m.shortfall)")) }
        var out = "<table class=summary>" + rows.map { "<tr><td>\(esc($0.0))</td><td>\(esc($0.1))</td></tr>" }.joined() + "</table>\n"
        for w in m.warnings { out += "<p class=warn>warning: \(esc(w))</p>\n" }
        out += "<p class=legend><span style=\"background:\(poolColor)\"></span>pool<span style=\"background:\(selectedColor)\"></span>selected</p>\n"
        return out
    }

    static func budgetSplit(_ m: Manifest) -> String {
        let rowHeight = 20, labelWidth = 110, barWidth = 520
        let maxCount = max(m.perCapability.map(\.1).max() ?? 1, 1)
        let share = Double(m.budget) / Double(max(m.perCapability.count, 1))
        let height = rowHeight * m.perCapability.count + 30
        var svg = "<svg width=\"\(labelWidth + barWidth + 120)\" height=\"\(height)\" role=img aria-label=\"budget split\">"
        let scale = Double(barWidth) / Double(max(maxCount, Int(share.rounded(.up))))
        for (i, (key, n)) in m.perCapability.enumerated() {
            let y = i * rowHeight + 4
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 13)\" text-anchor=end>\(esc(key))</text>"
            svg += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(Int(Double(n) * scale))\" height=\"\(rowHeight - 6)\" fill=\"\(selectedColor)\"/>"
            svg += "<text x=\"\(labelWidth + Int(Double(n) * scale) + 6)\" y=\"\(y + 13)\">\(n)</text>"
        }
        let x = labelWidth + Int(share * scale)
        let bottom = rowHeight * m.perCapability.count + 4
        svg += "<line x1=\"\(x)\" y1=\"0\" x2=\"\(x)\" y2=\"\(bottom)\" stroke=\"#a5430a\" stroke-dasharray=\"4 3\"/>"
        svg += "<text x=\"\(x)\" y=\"\(bottom + 16)\" text-anchor=middle fill=\"#a5430a\">equal share B/\(m.perCapability.count) = \(Int(share))</text>"
        return svg + "</svg>\n"
    }

    static func histogram(store: ScoreStore, picked: [Bool], capability c: Int) -> String {
        let bins = 20, width = 270, height = 150, left = 40, bottom = 22, top = 18
        var pool = [Int](repeating: 0, count: bins), sel = pool
        let column = store.scores[c]
        for r in 0..<store.count where store.ok[r] && !column[r].isNaN {
            let b = min(max(Int(column[r] / 5 * Float(bins)), 0), bins - 1)
            pool[b] += 1
            if picked[r] { sel[b] += 1 }
        }
        let maxCount = max(pool.max() ?? 1, 1)
        let plotW = width - left - 8, plotH = height - top - bottom
        let bw = Double(plotW) / Double(bins)
        var svg = "<svg width=\"\(width)\" height=\"\(height)\" role=img aria-label=\"\(Capabilities.keys[c]) histogram\">"
        svg += "<text x=\"\(left)\" y=\"12\" font-weight=600>\(esc(Capabilities.keys[c]))</text>"
        svg += "<text x=\"\(width - 8)\" y=\"12\" text-anchor=end fill=\"#5b6876\">selected \(compact(sel.reduce(0, +))) / pool \(compact(pool.reduce(0, +)))</text>"
        for (counts, color) in [(pool, poolColor), (sel, selectedColor)] {
            for b in 0..<bins where counts[b] > 0 {
                let h = max(Double(counts[b]) / Double(maxCount) * Double(plotH), 1)
                let x = Double(left) + Double(b) * bw
                svg += "<rect x=\"\(fmt(x + 0.5))\" y=\"\(fmt(Double(top + plotH) - h))\" width=\"\(fmt(bw - 1))\" height=\"\(fmt(h))\" fill=\"\(color)\"/>"
            }
        }
        svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#8894a0\"/>"
        for s in 0...5 {
            let x = Double(left) + Double(s) / 5 * Double(plotW)
            svg += "<text x=\"\(fmt(x))\" y=\"\(top + plotH + 14)\" text-anchor=middle>\(s)</text>"
        }
        svg += "<text x=\"\(left - 4)\" y=\"\(top + 8)\" text-anchor=end>\(compact(maxCount))</text>"
        svg += "<text x=\"\(left - 4)\" y=\"\(top + plotH)\" text-anchor=end>0</text>"
        return svg + "</svg>"
    }

    static func composition(store: ScoreStore, picked: [Bool]) -> String {
        // Sources ranked by pool size; beyond the first 10 they are pooled into "other".
        var sourceSize = [Int](repeating: 0, count: store.sourceNames.count)
        for r in 0..<store.count where store.ok[r] { sourceSize[Int(store.source[r])] += 1 }
        let ranked = sourceSize.indices.filter { sourceSize[$0] > 0 }.sorted {
            sourceSize[$0] != sourceSize[$1] ? sourceSize[$0] > sourceSize[$1] : store.sourceNames[$0] < store.sourceNames[$1]
        }
        let shown = Array(ranked.prefix(10))
        var column = [Int](repeating: shown.count, count: store.sourceNames.count)
        for (i, s) in shown.enumerated() { column[s] = i }
        let columns = shown.map { store.sourceNames[$0].isEmpty ? "(none)" : store.sourceNames[$0] } + (ranked.count > shown.count ? ["other"] : [])
        let styles = store.styleNames.count
        var pool = [[Int]](repeating: [Int](repeating: 0, count: columns.count), count: styles), sel = pool
        var poolTotal = 0, selTotal = 0
        for r in 0..<store.count where store.ok[r] {
            let col = column[Int(store.source[r])]
            for s in store.styles(of: r) {
                pool[Int(s)][col] += 1
                poolTotal += 1
                if picked[r] { sel[Int(s)][col] += 1; selTotal += 1 }
            }
        }
        return "<div class=grid>" + heatmap("pool", pool, poolTotal, styles: store.styleNames, columns: columns)
            + heatmap("selected", sel, selTotal, styles: store.styleNames, columns: columns) + "</div>\n"
    }

    static func heatmap(_ title: String, _ counts: [[Int]], _ total: Int, styles: [String], columns: [String]) -> String {
        let cell = 44, rowH = 22, left = 200, top = 84
        let width = left + cell * columns.count + 10, height = top + rowH * styles.count + 10
        var svg = "<svg width=\"\(width)\" height=\"\(height)\" role=img aria-label=\"\(title) composition\">"
        svg += "<text x=\"0\" y=\"14\" font-weight=600>\(title) (\(total) labels)</text>"
        for (j, name) in columns.enumerated() {
            let x = left + j * cell + cell / 2
            let label = name.count > 16 ? String(name.prefix(15)) + "…" : name
            svg += "<text transform=\"translate(\(x),\(top - 6)) rotate(-45)\">\(esc(label))</text>"
        }
        for (i, style) in styles.enumerated() {
            let y = top + i * rowH
            svg += "<text x=\"\(left - 6)\" y=\"\(y + 15)\" text-anchor=end>\(esc(style))</text>"
            for j in columns.indices {
                let share = total > 0 ? Double(counts[i][j]) / Double(total) : 0
                let alpha = share > 0 ? 0.08 + min(share * 6, 0.92) : 0
                svg += "<rect x=\"\(left + j * cell)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(rowH - 2)\" fill=\"\(selectedColor)\" fill-opacity=\"\(fmt(alpha))\" stroke=\"#e3e7ec\"/>"
                if counts[i][j] > 0 {
                    let text = share >= 0.001 ? String(format1(share * 100)) + "%" : "<.1%"
                    svg += "<text x=\"\(left + j * cell + cell / 2 - 1)\" y=\"\(y + 14)\" text-anchor=middle\(alpha > 0.5 ? " fill=\"#fff\"" : "")>\(esc(text))</text>"
                }
            }
        }
        return svg + "</svg>"
    }

    static func fmt(_ v: Double) -> String { format1(v) }

    static func format1(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() ? String(Int(r)) : String(r)
    }

    static func compact(_ n: Int) -> String {
        n >= 1_000_000 ? format1(Double(n) / 1e6) + "M" : n >= 10_000 ? format1(Double(n) / 1e3) + "k" : String(n)
    }
}
