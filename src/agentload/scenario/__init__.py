"""agentload.scenario"""
