import Foundation
import Tensor

/// Writes the fitted model: the base file with every tensor and metadata entry copied unchanged (tensor
/// bytes as stored, whatever their type), except the four `h.*` tensors and `heads.kind`.
enum FittedModelWriter {
    static let headTensors: Set<String> = ["h.cap.weight", "h.cap.bias", "h.style.weight", "h.style.bias"]

    static func write(base: GGUFFile, heads: [String: [Float]], kind: String, to path: String) throws(FitError) {
        var writer = GGUFWriter(alignment: base.alignment)
        for (key, value) in base.metadata { writer.set(key, value) }
        writer.set("heads.kind", .string(kind))
        for info in base.tensors {
            if Self.headTensors.contains(info.name) {
                guard let values = heads[info.name], values.count == info.elementCount else {
                    throw .write(path: path, reason: "internal: no \(info.elementCount) values for \(info.name)")
                }
                writer.addTensor(info.name, shape: info.shape, floats: values)
            } else {
                writer.addTensor(info.name, shape: info.shape, type: info.type, bytes: Array(base.rawBytes(info)))
            }
        }
        do { try writer.write(to: path) } catch {
            throw .write(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}
