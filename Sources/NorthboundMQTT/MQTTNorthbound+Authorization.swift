import Authorization
import Foundation
import Logging
import MQTT
import RegisterMaps
import ServiceConfiguration
import ServiceSupport
import SiteRuntime

/// The local list over MQTT (`authorization/list/set` takes an update, `authorization/list` shows
/// the version and the count) and the operator's charger commands that are not settings
/// (`charger/<id>/reset/set`: soft or hard, `charger/<id>/stop/set`: ends the transaction).
extension MQTTNorthbound {
    var listTopic: String { contract.prefix + "/authorization/list" }

    /// `<charger base>/reset/set` and `…/stop/set` → the charger's index and the command word.
    static func commandTopics(_ entities: [Entity]) -> [String: (index: Int, word: String)] {
        var topics: [String: (Int, String)] = [:]
        for entity in entities where entity.kind == .charger {
            for word in ["reset", "stop"] { topics[entity.base + "/\(word)/set"] = (entity.index, word) }
        }
        return topics
    }

    /// Handles the topic if it is one of these; false otherwise.
    func handleAuthorization(topic: String, payload: [UInt8]) -> Bool {
        if topic == listTopic + "/set" {
            guard !payload.isEmpty else { return true }   // our own clearing
            client.publish(topic, "", qos: qos, retain: true)
            receiveList(topic: topic, payload: payload)
            return true
        }
        guard let (index, word) = commandTopics[topic] else { return false }
        guard !payload.isEmpty else { return true }
        client.publish(topic, "", qos: qos, retain: true)
        let text = String(decoding: payload.prefix(32), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let command: ChargerCommand
        switch (word, text) {
        case ("reset", "soft"): command = .reset(hard: false)
        case ("reset", "hard"): command = .reset(hard: true)
        case ("reset", _):
            reject(topic: topic, payload: payload, reason: "reset takes soft or hard")
            return true
        case (_, "stop"), (_, "1"), (_, "true"), (_, contract.payloadOn.lowercased()): command = .stopTransaction
        default:
            reject(topic: topic, payload: payload, reason: "stop takes stop (or \(contract.payloadOn))")
            return true
        }
        do throws(ChargerCommandRefusal) {
            try control.drivers[index].perform(command)
        } catch {
            reject(topic: topic, payload: payload, reason: error.description)
        }
        return true
    }

    /// An update of the list: taken whole (saved first), or refused on the error topic with nothing changed.
    func receiveList(topic: String, payload: [UInt8]) {
        guard let book else {
            reject(topic: topic, payload: payload, reason: "no authorization list on this bridge")
            return
        }
        switch ListPayload.update(payload, source: topic) {
        case .failure(let problem):
            reject(topic: topic, payload: payload, reason: problem.description)
        case .success(let update):
            do throws(AuthorizationBook.Refusal) {
                let list = try book.apply(update)
                logger.notice("authorization: \(update.kind.rawValue) update over MQTT, \(update.changes.count) entries: version \(list.version), \(list.count) tags")
                publish(now: clock.now)
            } catch {
                reject(topic: topic, payload: payload, reason: error.description)
            }
        }
    }

    /// `authorization/list`: published when it changed (or on a full pass); retained.
    func listSummary() -> String? { book.map { ListPayload.summary($0.list) } }
}
