const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `value` can be an id here: imports, API tokens and accounts have PostgreSQL `uuid` ids, and stored
 * files UUID names. Anything else names nothing, and checked first it never reaches a `::uuid` cast, which
 * would fail instead of finding nothing.
 */
export const isUuid = (value: string): boolean => UUID.test(value);
