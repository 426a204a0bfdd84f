export {
  createGrpcClient,
  type GrpcCallOptions,
  type GrpcClient,
  type GrpcClientOptions,
} from './grpc-client.ts';
export { domainErrorFromStatus, ERROR_DETAIL_KEY, errorDetailFrom } from './grpc-errors.ts';
export {
  createGrpcServer,
  GrpcServer,
  type GrpcServerOptions,
  HEALTH_SERVICE,
  type ServiceImplementation,
  type ServingStatus,
} from './grpc-server.ts';
export { grpcServiceDefinition, methodPath } from './service-definition.ts';
export type { CallContext, ServiceHandlers, UnaryHandler } from './unary-handler.ts';
