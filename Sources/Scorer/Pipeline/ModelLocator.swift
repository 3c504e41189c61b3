import Foundation

/// Where `mmssr score` finds the model when --model is not given: `weights/mmssr-small.gguf` (or
/// `weights/mmssr-small-f32.gguf` with --fp32) under the current directory, else under the repository the
/// executable was built in (the first ancestor of the executable holding that file).
public enum ModelLocator {
    public static func defaultName(fp32: Bool) -> String {
        fp32 ? "weights/mmssr-small-f32.gguf" : "weights/mmssr-small.gguf"
    }

    public static func candidates(fp32: Bool) -> [String] {
        let name = defaultName(fp32: fp32)
        var out = [FileManager.default.currentDirectoryPath + "/" + name]
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
        while dir.path != "/" {
            out.append(dir.appendingPathComponent(name).path)
            dir = dir.deletingLastPathComponent()
        }
        return out
    }

    public static func locate(fp32: Bool) throws(PipelineError) -> String {
        let all = candidates(fp32: fp32)
        if let found = all.first(where: { FileManager.default.fileExists(atPath: $0) }) { return found }
        throw .invalidArgument("no model given and \(defaultName(fp32: fp32)) is neither under the current directory nor the executable's repository: pass --model FILE or run weights/setup.sh")
    }
}
