/** Moved to the parties feature (it owns the table); kept so other features' imports still resolve until they switch. */
export * from '../parties/party-refs';
