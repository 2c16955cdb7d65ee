/**
 * The baseline library: @event-driven-io/emmett-postgresql, used through its public API the
 * way its documentation shows. Loaded lazily so scenarios that do not compare against it do
 * not pay for it.
 */
export function emmett(): typeof import('@event-driven-io/emmett-postgresql') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
  return require('@event-driven-io/emmett-postgresql');
}

export function dumbo(): typeof import('@event-driven-io/dumbo') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy, see above
  return require('@event-driven-io/dumbo');
}
