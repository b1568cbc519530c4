// Every GraphQL operation of the dashboard, typed by codegen from apps/control-plane/schema.gql
// (`pnpm --filter @postern/dashboard codegen`; the generated files are committed and a test
// fails when they drift from the schema).
import { graphql } from '../generated/graphql';

export const MeQuery = graphql(`
  query Me {
    me {
      id
      kind
      roles
      groups
      user {
        id
        email
        displayName
      }
    }
  }
`);

export const ReviewsQuery = graphql(`
  query Reviews($status: String, $kind: String) {
    reviews(status: $status, kind: $kind) {
      id
      kind
      status
      command
      connectionId
      connectionName
      requesterId
      requesterName
      requesterPrincipalId
      reason
      requestedSeconds
      ruleId
      ruleName
      sessionId
      approverGroups
      requiredApprovals
      createdAt
      expiresAt
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const ReviewCreatedSubscription = graphql(`
  subscription ReviewCreated {
    reviewCreated {
      id
      kind
      status
      command
      connectionId
      connectionName
      requesterId
      requesterName
      requesterPrincipalId
      reason
      requestedSeconds
      ruleId
      ruleName
      sessionId
      approverGroups
      requiredApprovals
      createdAt
      expiresAt
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const ReviewDecidedSubscription = graphql(`
  subscription ReviewDecided {
    reviewDecided {
      id
      status
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const ApproveReviewMutation = graphql(`
  mutation ApproveReview($id: ID!, $comment: String) {
    approveReview(id: $id, comment: $comment) {
      id
      status
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const RejectReviewMutation = graphql(`
  mutation RejectReview($id: ID!, $comment: String) {
    rejectReview(id: $id, comment: $comment) {
      id
      status
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const SessionContextQuery = graphql(`
  query SessionContext($sessionId: ID!) {
    sessionRecording(sessionId: $sessionId, limit: 100) {
      sessionId
      events {
        seq
        index
        at
        type
        json
      }
    }
  }
`);

export const ConnectionsQuery = graphql(`
  query Connections {
    connections {
      id
      name
      protocol
      targetHost
      targetPort
      targetDatabase
      targetUser
      tlsMode
      recordingMode
      agentId
      agentGroupId
      url
      http {
        authScheme
        authQueryParam
        extraHeaders {
          name
          secretRef
        }
        credentialHeader
        credentialCookie
        approvalHoldSeconds
        identityAssertion
      }
      createdAt
    }
  }
`);

export const GrantsQuery = graphql(`
  query MyGrants {
    grants {
      id
      connectionId
      operations
      expiresAt
      createdAt
    }
  }
`);

export const RequestAccessMutation = graphql(`
  mutation RequestAccess($input: RequestAccessInput!) {
    requestAccess(input: $input) {
      id
      kind
      status
      connectionId
      connectionName
      requesterId
      requesterName
      requesterPrincipalId
      reason
      requestedSeconds
      approverGroups
      requiredApprovals
      createdAt
      expiresAt
      decidedAt
      decisions {
        userId
        userName
        approved
        comment
        createdAt
      }
    }
  }
`);

export const MyAccessQuery = graphql(`
  query MyAccess {
    myAccess {
      connectionId
      name
      protocol
      access
      operations
      expiresAt
    }
    gateway {
      relays {
        protocol
        host
        port
        tls
      }
    }
  }
`);

export const MintCredentialMutation = graphql(`
  mutation MintMyCredential($connectionId: ID!) {
    mintMyConnectionCredential(connectionId: $connectionId) {
      database
      loginName
      password
      credential {
        id
        expiresAt
      }
    }
  }
`);

export const SessionsQuery = graphql(`
  query Sessions($status: String, $connectionId: ID, $principalId: String, $limit: Int) {
    sessions(status: $status, connectionId: $connectionId, principalId: $principalId, limit: $limit) {
      id
      connectionId
      connectionName
      principalId
      principalName
      principalKind
      status
      startedAt
      endedAt
      endReason
      statementCount
      ingress
    }
  }
`);

export const SessionQuery = graphql(`
  query Session($id: ID!) {
    session(id: $id) {
      id
      connectionId
      connectionName
      principalId
      principalName
      principalKind
      status
      startedAt
      endedAt
      endReason
      statementCount
      ingress
      clientAddress
      policyVersion
      bytesFromClient
      bytesFromTarget
    }
    verifySessionRecording(sessionId: $id) {
      sessionId
      ok
      complete
      purged
      chunks
      headHash
      problems {
        seq
        problem
        detail
      }
    }
  }
`);

export const SessionRecordingQuery = graphql(`
  query SessionRecording($sessionId: ID!, $afterSeq: Int) {
    sessionRecording(sessionId: $sessionId, afterSeq: $afterSeq, limit: 100) {
      sessionId
      complete
      purged
      truncated
      nextSeq
      events {
        seq
        index
        at
        type
        json
      }
    }
  }
`);

export const TerminateSessionMutation = graphql(`
  mutation TerminateSession($id: ID!) {
    terminateSession(id: $id) {
      id
      status
      endedAt
      endReason
    }
  }
`);

export const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditEventFilter, $after: String, $first: Int) {
    auditEvents(filter: $filter, after: $after, first: $first) {
      nextCursor
      events {
        id
        seq
        at
        kind
        actorKind
        actorId
        decision
        connectionId
        sessionId
        ruleId
        detailsJson
      }
    }
  }
`);

export const VerifyAuditQuery = graphql(`
  query VerifyAudit {
    verifyAuditLog {
      ok
      checked
      legacy
      fromSeq
      toSeq
      firstBadSeq
      headHash
      problemCount
      problems {
        seq
        problem
        detail
      }
    }
  }
`);

export const MaskingRulesQuery = graphql(`
  query MaskingRules {
    maskingRules {
      id
      name
      enabled
      dialect
      connectionIds
      exemptGroups
      spec {
        columns
        detectors
        style
        customPatterns {
          name
          regex
        }
      }
      updatedAt
    }
  }
`);

export const CreateMaskingRuleMutation = graphql(`
  mutation CreateMaskingRule($input: CreateMaskingRuleInput!) {
    createMaskingRule(input: $input) {
      id
      name
      enabled
      dialect
      connectionIds
      exemptGroups
      spec {
        columns
        detectors
        style
        customPatterns {
          name
          regex
        }
      }
      updatedAt
    }
  }
`);

export const DeleteMaskingRuleMutation = graphql(`
  mutation DeleteMaskingRule($id: ID!) {
    deleteMaskingRule(id: $id) {
      id
    }
  }
`);

export const AgentsQuery = graphql(`
  query Agents {
    agents {
      id
      name
      status
      version
      hostname
      policyVersion
      policyBehind
      lastSeenAt
      enrolledAt
    }
  }
`);

export const CreateAgentMutation = graphql(`
  mutation CreateAgent($input: CreateAgentInput!) {
    createAgent(input: $input) {
      agent {
        id
        name
        status
        version
        hostname
        policyVersion
        policyBehind
        lastSeenAt
        enrolledAt
      }
      enrollment {
        token
        expiresAt
      }
    }
  }
`);

export const CreateConnectionMutation = graphql(`
  mutation CreateConnection($input: CreateConnectionInput!) {
    createConnection(input: $input) {
      id
      name
      protocol
      targetHost
      targetPort
      targetDatabase
      targetUser
      tlsMode
      recordingMode
      agentId
      agentGroupId
      createdAt
    }
  }
`);

export const ApprovalRulesQuery = graphql(`
  query ApprovalRules {
    approvalRules {
      id
      name
      enabled
      approverGroups
      groups
      connectionIds
      requiredApprovals
      timeoutSeconds
      match {
        statementKinds
        relations
        missingWhere
      }
    }
  }
`);

export const CreateApprovalRuleMutation = graphql(`
  mutation CreateApprovalRule($input: CreateApprovalRuleInput!) {
    createApprovalRule(input: $input) {
      id
      name
      enabled
      approverGroups
      groups
      connectionIds
      requiredApprovals
      timeoutSeconds
      match {
        statementKinds
        relations
        missingWhere
      }
    }
  }
`);

export const SimulateMaskingQuery = graphql(`
  query SimulateMasking($input: SimulatePolicyInput!) {
    simulatePolicy(input: $input) {
      sessions
      statements
      truncated
      maskingRules {
        index
        name
        sessions
        statements
      }
    }
  }
`);

export const SimulateApprovalQuery = graphql(`
  query SimulateApproval($input: SimulatePolicyInput!) {
    simulatePolicy(input: $input) {
      sessions
      statements
      truncated
      approvalRules {
        index
        name
        sessions
        statements
        examples {
          sql
          at
        }
      }
    }
  }
`);

export const SessionEventsSubscription = graphql(`
  subscription SessionEvents($sessionId: ID!) {
    sessionEvents(sessionId: $sessionId) {
      seq
      index
      at
      type
      json
    }
  }
`);

export const GuardrailsQuery = graphql(`
  query Guardrails {
    guardrails {
      id
      name
      enabled
      groups
      connectionIds
      match {
        statementKinds
        relations
        functions
        missingWhere
      }
    }
  }
`);

export const CreateGuardrailMutation = graphql(`
  mutation CreateGuardrail($input: CreateGuardrailInput!) {
    createGuardrail(input: $input) {
      id
      name
      enabled
      groups
      connectionIds
      match {
        statementKinds
        relations
        functions
        missingWhere
      }
    }
  }
`);

export const AccessRulesQuery = graphql(`
  query AccessRules {
    accessRules {
      id
      connectionId
      groups
      operations
      requiresApproval
      approverGroups
      maxSessionSeconds
    }
    connections {
      id
      name
    }
  }
`);

export const CreateAccessRuleMutation = graphql(`
  mutation CreateAccessRule($input: CreateAccessRuleInput!) {
    createAccessRule(input: $input) {
      id
      connectionId
      groups
      operations
      requiresApproval
      approverGroups
      maxSessionSeconds
    }
  }
`);
