import Foundation

/// One point of a SunSpec model: where it sits in its block and how it is encoded.
public struct SunSpecPoint: Sendable, Equatable, Decodable {
    public let name: String
    /// Registers from the first register of its block (a model's ID register, or a repeating group's start).
    public let offset: Int
    /// SunSpec type: int16, uint16, acc32, float32, sunssf, string, …
    public let type: String
    /// Registers it occupies.
    public let size: Int
    /// The scale-factor point's name (a fixed exponent when it is a number); nil: not scaled.
    public let sf: String?
    public let units: String?

    public init(name: String, offset: Int, type: String, size: Int, sf: String? = nil, units: String? = nil) {
        self.name = name
        self.offset = offset
        self.type = type
        self.size = size
        self.sf = sf
        self.units = units
    }
}

/// A repeating group at the end of a model (model 160's MPPT modules).
public struct SunSpecGroup: Sendable, Equatable, Decodable {
    public let name: String
    /// Registers of one repetition.
    public let length: Int
    public let points: [SunSpecPoint]
}

/// A SunSpec model's layout, as pysunspec2's model definitions give it.
public struct SunSpecModel: Sendable, Equatable, Decodable {
    public let id: Int
    public let name: String
    /// Registers of the fixed block after ID and L (the L of a model without repetitions).
    public let length: Int
    public let points: [SunSpecPoint]
    public let group: SunSpecGroup?

    public func point(_ name: String) -> SunSpecPoint? { points.first { $0.name == name } }
}

/// The model layouts the reader knows (Registers/sunspec/models.json, written by
/// scripts/sunspec_models.py from pysunspec2's JSON models).
public struct SunSpecModelSet: Sendable, Equatable {
    public let models: [Int: SunSpecModel]

    public init(_ models: [SunSpecModel]) {
        self.models = Dictionary(models.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(id: Int) -> SunSpecModel? { models[id] }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public static func decode(_ data: Data) throws(LoadError) -> SunSpecModelSet {
        struct File: Decodable { let models: [SunSpecModel] }
        do {
            let set = SunSpecModelSet(try JSONDecoder().decode(File.self, from: data).models)
            try set.check()
            return set
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(description: "not a SunSpec model file: \(error)")
        }
    }

    public static func load(file: String) throws(LoadError) -> SunSpecModelSet {
        guard let data = FileManager.default.contents(atPath: file) else { throw LoadError(description: "cannot read \(file)") }
        do {
            return try decode(data)
        } catch {
            throw LoadError(description: "\(file): \(error.description)")
        }
    }

    /// Every point lies inside its block and every scale factor names a point of the model.
    func check() throws(LoadError) {
        for model in models.values {
            for point in model.points + (model.group?.points ?? []) {
                guard point.size >= 1, point.offset >= 0 else { throw LoadError(description: "model \(model.id): point \(point.name) has no registers") }
                if let sf = point.sf, Int(sf) == nil, model.point(sf) == nil {
                    throw LoadError(description: "model \(model.id): point \(point.name) names an unknown scale factor \(sf)")
                }
            }
            for point in model.points where point.offset + point.size > model.length + 2 {
                throw LoadError(description: "model \(model.id): point \(point.name) ends after the model's \(model.length) registers")
            }
        }
    }
}
