/**
 * The etcd version nines reports in StatusResponse.version: the API level it implements,
 * in the form etcd clients parse ("major.minor.patch"). The nines version is sent as the
 * `x-nines-version` response metadata of Status and in docs/etcd-compat.md.
 */
export const ETCD_COMPAT_VERSION = '3.4.23';
export const NINES_VERSION_METADATA_KEY = 'x-nines-version';
