"""CodeStar Connections (moto has none): served by the middleware, PENDING until marked AVAILABLE."""

import pytest
from botocore.exceptions import ClientError


@pytest.mark.parametrize("service", ["codestar-connections", "codeconnections"])
def test_connection_lifecycle(aws, name, emulator, service):
    conns = aws(service)
    created = conns.create_connection(ProviderType="GitHub", ConnectionName=name,
                                      Tags=[{"Key": "pipewright:pipeline", "Value": "x"}])
    arn = created["ConnectionArn"]
    assert f":{service}:us-east-1:123456789012:connection/" in arn
    got = conns.get_connection(ConnectionArn=arn)["Connection"]
    assert got["ConnectionStatus"] == "PENDING" and got["ProviderType"] == "GitHub" and got["ConnectionName"] == name
    assert got["OwnerAccountId"] == "123456789012"
    assert arn in [c["ConnectionArn"] for c in conns.list_connections(ProviderTypeFilter="GitHub")["Connections"]]

    answer = emulator.control("POST", "/_pipewright/codestar-connections/status", {"arn": arn, "status": "AVAILABLE"})
    assert answer["ConnectionStatus"] == "AVAILABLE"
    assert conns.get_connection(ConnectionArn=arn)["Connection"]["ConnectionStatus"] == "AVAILABLE"

    conns.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}])
    conns.untag_resource(ResourceArn=arn, TagKeys=["pipewright:pipeline"])
    assert conns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    conns.delete_connection(ConnectionArn=arn)
    with pytest.raises(ClientError) as err:
        conns.get_connection(ConnectionArn=arn)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
