"""agentload.protocols"""
