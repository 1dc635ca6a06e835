/**
 * The failures IoT Hub's service API reports, by name, with their HTTP status and numeric code.
 * The core returns these; each transport renders them (REST: `iothub-errorcode` + `Message`).
 */
export const SERVICE_ERRORS = {
  ArgumentInvalid: { status: 400, errorCode: 400004 },
  IotHubUnauthorizedAccess: { status: 401, errorCode: 401002 },
  DeviceNotFound: { status: 404, errorCode: 404001 },
  ModuleNotFound: { status: 404, errorCode: 404010 },
  DeviceNotOnline: { status: 404, errorCode: 404103 },
  DeviceAlreadyExists: { status: 409, errorCode: 409001 },
  ModuleAlreadyExistsOnDevice: { status: 409, errorCode: 409301 },
  PreconditionFailed: { status: 412, errorCode: 412002 },
  GatewayTimeout: { status: 504, errorCode: 504101 },
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERRORS;

export interface ServiceError {
  ok: false;
  status: number;
  errorCode: number;
  code: ServiceErrorCode | 'IotHubUnauthorizedAccess';
  message: string;
}

export interface ServiceOk<T> {
  ok: true;
  status: number;
  value: T;
  /** Set for writes that change a device or twin: the new etag (REST sends it as `ETag`). */
  etag?: string;
  /** Further response headers (the query's `x-ms-item-type`, `x-ms-continuation`). */
  headers?: Record<string, string>;
}

export type ServiceResult<T> = ServiceOk<T> | ServiceError;

export function fail(code: ServiceErrorCode, message: string): ServiceError {
  return { ok: false, ...SERVICE_ERRORS[code], code, message };
}

export function done<T>(value: T, status = 200, etag?: string): ServiceOk<T> {
  return { ok: true, status, value, ...(etag ? { etag } : {}) };
}
