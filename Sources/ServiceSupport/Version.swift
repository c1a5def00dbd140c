/// The release: `--version`, the status page, Home Assistant's device info and origin.
public let chargebridgeVersion = "0.17.0"
