import {
  AuthService,
  type CreateOperatorAssignmentRequest,
  type ListOperatorAssignmentsRequest,
  type RevokeOperatorAssignmentRequest,
} from '@girok/contracts/auth/v1/auth';
import { RestRpc, RpcRequest } from '@girok/kit/http';
import { Controller, Inject } from '@nestjs/common';
import { OperatorAssignmentService } from '../services/operator-assignment.service.ts';

const rpc = AuthService.method;

@Controller('v1/operator-assignments')
export class OperatorsController {
  readonly #operators: OperatorAssignmentService;

  constructor(@Inject(OperatorAssignmentService) operators: OperatorAssignmentService) {
    this.#operators = operators;
  }

  @RestRpc('POST', '', rpc.createOperatorAssignment, {
    status: 201,
    summary: 'Grant an operator permissions for one service in one country',
  })
  create(@RpcRequest() request: CreateOperatorAssignmentRequest) {
    return this.#operators.create(request);
  }

  @RestRpc('GET', '', rpc.listOperatorAssignments, {
    summary: 'List operator assignments (filters, keyset paged)',
  })
  list(@RpcRequest() request: ListOperatorAssignmentsRequest) {
    return this.#operators.list(request);
  }

  @RestRpc('DELETE', ':assignmentId', rpc.revokeOperatorAssignment, {
    summary: 'Revoke an operator assignment',
  })
  revoke(@RpcRequest() request: RevokeOperatorAssignmentRequest) {
    return this.#operators.revoke(request);
  }
}
