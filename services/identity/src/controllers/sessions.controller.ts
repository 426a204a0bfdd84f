import {
  IdentityService,
  type ListDevicesRequest,
  type ListSessionsRequest,
  type RefreshSessionRequest,
  type RevokeAllSessionsRequest,
  type RevokeDeviceRequest,
  type RevokeSessionRequest,
  type TrustDeviceRequest,
  type ValidateSessionRequest,
} from '@girok/contracts/identity/v1/identity';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { DeviceService } from '../services/device.service.ts';
import { SessionService } from '../services/session.service.ts';

const rpc = IdentityService.method;

@Controller('v1')
export class SessionsController {
  readonly #sessions: SessionService;
  readonly #devices: DeviceService;

  constructor(
    @Inject(SessionService) sessions: SessionService,
    @Inject(DeviceService) devices: DeviceService,
  ) {
    this.#sessions = sessions;
    this.#devices = devices;
  }

  @RestRpc('POST', 'sessions/refresh', rpc.refreshSession, { summary: 'Rotate a refresh token' })
  refresh(@RpcRequest() request: RefreshSessionRequest) {
    return this.#sessions.refresh(request);
  }

  @RestRpc('GET', 'sessions/:sessionId/validity', rpc.validateSession, {
    summary: 'Is this session still valid?',
  })
  validate(@RpcRequest() request: ValidateSessionRequest) {
    return this.#sessions.validate(request);
  }

  @RestRpc('GET', 'accounts/:accountId/sessions', rpc.listSessions, { summary: "List an account's sessions" })
  list(@RpcRequest() request: ListSessionsRequest) {
    return this.#sessions.list(request);
  }

  @RestRpc('DELETE', 'accounts/:accountId/sessions/:sessionId', rpc.revokeSession, {
    summary: 'Revoke one session',
  })
  revoke(@RpcRequest() request: RevokeSessionRequest) {
    return this.#sessions.revokeOne(request);
  }

  @RestRpc('POST', 'accounts/:accountId/sessions/revoke-all', rpc.revokeAllSessions, {
    summary: 'Revoke every (other) session',
  })
  revokeAll(@RpcRequest() request: RevokeAllSessionsRequest) {
    return this.#sessions.revokeAll(request);
  }

  @RestRpc('GET', 'accounts/:accountId/devices', rpc.listDevices, { summary: "List an account's devices" })
  listDevices(@RpcRequest() request: ListDevicesRequest) {
    return this.#devices.list(request);
  }

  @RestRpc('PATCH', 'accounts/:accountId/devices/:deviceId', rpc.trustDevice, {
    summary: 'Trust or untrust a device',
  })
  trustDevice(@RpcRequest() request: TrustDeviceRequest) {
    return this.#devices.trust(request);
  }

  @RestRpc('DELETE', 'accounts/:accountId/devices/:deviceId', rpc.revokeDevice, {
    summary: 'Revoke a device and its sessions',
  })
  revokeDevice(@RpcRequest() request: RevokeDeviceRequest) {
    return this.#devices.revoke(request);
  }
}
