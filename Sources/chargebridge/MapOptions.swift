import DataFiles
import ArgumentParser
import RegisterMaps

/// `--map FILE|NAME`, shared by the commands that use one register map.
struct MapOption: ParsableArguments {
    @Option(name: .long, help: "Register map: a file, or a map name such as pac2200 (see `chargebridge maps`).")
    var map: String?

    func load() throws -> RegisterMap {
        guard let map else { throw CLIError("--map is required") }
        guard let path = MapCatalog.standard().resolve(map) else {
            throw CLIError(MapCatalog.standard().notFound(map))
        }
        do {
            return try MapLoader.load(file: path)
        } catch {
            throw CLIError(error.description)
        }
    }
}
