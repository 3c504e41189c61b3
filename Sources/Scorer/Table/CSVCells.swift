/// Splits one CSV record (possibly spanning lines inside quotes) into cells: RFC 4180 quoting with `""` for a
/// quote; an empty unquoted cell is nil (a null), an empty quoted cell is "".
enum CSVCells {
    static func split(_ text: [UInt8]) -> [String?] {
        var cells: [String?] = []
        var cell: [UInt8] = []
        var quoted = false, inQuotes = false
        var i = 0
        while i < text.count {
            let c = text[i]
            if inQuotes {
                if c == 0x22 {
                    if i + 1 < text.count && text[i + 1] == 0x22 { cell.append(0x22); i += 1 } else { inQuotes = false }
                } else {
                    cell.append(c)
                }
            } else if c == 0x22 {
                inQuotes = true
                quoted = true
            } else if c == 0x2C {
                cells.append(cell.isEmpty && !quoted ? nil : String(decoding: cell, as: UTF8.self))
                cell.removeAll(keepingCapacity: true)
                quoted = false
            } else {
                cell.append(c)
            }
            i += 1
        }
        cells.append(cell.isEmpty && !quoted ? nil : String(decoding: cell, as: UTF8.self))
        return cells
    }
}
