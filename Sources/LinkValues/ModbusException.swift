/// Exception codes a slave answers with.
public enum ModbusException: UInt8, Error, Sendable {
    case illegalFunction = 1
    case illegalDataAddress = 2
    case illegalDataValue = 3
    case serverDeviceFailure = 4
    case gatewayTargetFailed = 11
}
