/** A ledger given as a PostgreSQL URL rather than a file. */
export const isPostgresUrl = (ledger: string | undefined): boolean => /^postgres(ql)?:\/\//.test(ledger ?? '')
