/// OCPP 2.0.1 enumerations the central system reads (OCPP 2.0.1 Part 2, §3 Enumerations): a value
/// outside them is a PropertyConstraintViolation.
public enum ConnectorStatus201: String, Sendable, Equatable, CaseIterable {
    case available = "Available", occupied = "Occupied", reserved = "Reserved", unavailable = "Unavailable", faulted = "Faulted"
}

/// TransactionEvent's transactionInfo.chargingState.
public enum ChargingState201: String, Sendable, Equatable, CaseIterable {
    case charging = "Charging", evConnected = "EVConnected", suspendedEV = "SuspendedEV", suspendedEVSE = "SuspendedEVSE", idle = "Idle"
}

enum TransactionEventType: String, Sendable, CaseIterable {
    case started = "Started", updated = "Updated", ended = "Ended"
}

enum TriggerReason201: String, Sendable, CaseIterable {
    case authorized = "Authorized", cablePluggedIn = "CablePluggedIn", chargingRateChanged = "ChargingRateChanged"
    case chargingStateChanged = "ChargingStateChanged", deauthorized = "Deauthorized", energyLimitReached = "EnergyLimitReached"
    case evCommunicationLost = "EVCommunicationLost", evConnectTimeout = "EVConnectTimeout", meterValueClock = "MeterValueClock"
    case meterValuePeriodic = "MeterValuePeriodic", timeLimitReached = "TimeLimitReached", trigger = "Trigger"
    case unlockCommand = "UnlockCommand", stopAuthorized = "StopAuthorized", evDeparted = "EVDeparted", evDetected = "EVDetected"
    case remoteStop = "RemoteStop", remoteStart = "RemoteStart", abnormalCondition = "AbnormalCondition"
    case signedDataReceived = "SignedDataReceived", resetCommand = "ResetCommand"
}

enum IdTokenKind201: String, Sendable, CaseIterable {
    case central = "Central", eMAID = "eMAID", iso14443 = "ISO14443", iso15693 = "ISO15693", keyCode = "KeyCode"
    case local = "Local", macAddress = "MacAddress", noAuthorization = "NoAuthorization"
}

enum BootReason201: String, Sendable, CaseIterable {
    case applicationReset = "ApplicationReset", firmwareUpdate = "FirmwareUpdate", localReset = "LocalReset", powerUp = "PowerUp"
    case remoteReset = "RemoteReset", scheduledReset = "ScheduledReset", triggered = "Triggered", unknown = "Unknown", watchdog = "Watchdog"
}

enum EventTrigger201: String, Sendable, CaseIterable {
    case alerting = "Alerting", delta = "Delta", periodic = "Periodic"
}

enum EventNotification201: String, Sendable, CaseIterable {
    case hardWiredNotification = "HardWiredNotification", hardWiredMonitor = "HardWiredMonitor"
    case preconfiguredMonitor = "PreconfiguredMonitor", customMonitor = "CustomMonitor"
}
